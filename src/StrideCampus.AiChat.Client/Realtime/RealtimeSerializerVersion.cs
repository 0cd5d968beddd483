namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The Phoenix serializer spoken on the realtime socket (the <c>vsn</c> query parameter).</summary>
public enum RealtimeSerializerVersion
{
    /// <summary><c>1.0.0</c>: JSON objects <c>{topic,event,payload,ref,join_ref}</c>.</summary>
    V1,

    /// <summary><c>2.0.0</c>: JSON arrays <c>[join_ref,ref,topic,event,payload]</c> plus binary broadcast frames (the official JS client's default).</summary>
    V2,
}
