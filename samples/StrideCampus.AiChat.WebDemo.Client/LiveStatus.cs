namespace StrideCampus.AiChat.WebDemo.Client;

/// <summary>The live indicator: green when changes arrive live, yellow while (re)connecting, red when offline.</summary>
public enum LiveStatus
{
    Offline,
    Connecting,
    Live,
}
