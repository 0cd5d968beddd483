namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>Stands for a refusal by the server (a PostgrestException in production).</summary>
public sealed class FakeServerException : Exception
{
    public FakeServerException()
        : base("refused by the server")
    {
    }

    public FakeServerException(string message)
        : base(message)
    {
    }

    public FakeServerException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
