using StrideCampus.AiChat.Client;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Tests.Errors;

/// <summary>One error root (issue 15): every service or store error is an <see cref="AiChatException"/> with status and code.</summary>
public sealed class ErrorModelTests
{
    [Fact]
    public void Every_public_exception_of_the_sdk_derives_from_AiChatException()
    {
        var exceptions = typeof(AiChatException).Assembly.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();
        Assert.Equal(5, exceptions.Count); // the root and the four below: a new one must be added here on purpose
        Assert.All(exceptions, t => Assert.True(typeof(AiChatException).IsAssignableFrom(t), $"{t.Name} does not derive from AiChatException"));
    }

    [Fact]
    public void Service_errors_carry_status_and_code_and_a_refused_action_carries_the_servers()
    {
        AiChatException rest = new PostgrestException(403, "42501", "new row violates row-level security policy");
        AiChatException auth = new AuthException(400, "invalid_credentials", "Invalid login credentials");
        Assert.Equal((403, "42501"), (rest.Status, rest.ErrorCode));
        Assert.Equal((400, "invalid_credentials"), (auth.Status, auth.ErrorCode));

        var refused = new ChatOperationException(ChatOperation.AddMessage, Guid.NewGuid(), (Exception)rest);
        Assert.Equal((403, "42501"), (refused.Status, refused.ErrorCode));
        Assert.Same(rest, refused.ServerError);

        var offline = new ChatOperationException(ChatOperation.AddMessage, null, new HttpRequestException("unreachable"));
        Assert.Equal((0, null), (offline.Status, offline.ErrorCode));

        var timedOut = new RealtimeException("Join of realtime:x timed out.") { SubscribeStatus = SubscribeStatus.TimedOut };
        Assert.Equal((0, SubscribeStatus.TimedOut), (timedOut.Status, timedOut.SubscribeStatus));
    }
}
