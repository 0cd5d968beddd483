using System.Reactive.Concurrency;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.DependencyInjection;

namespace StrideCampus.AiChat.Client.Tests.Readme;

/// <summary>
/// What a README fragment may use without declaring it (the README names these under "API tour"): each
/// fragment is compiled as the body of an async method of a class derived from this one, with the
/// first app's usings. A fragment's own locals may reuse these names (a local hides a field).
/// Never run: only compiled.
/// </summary>
#pragma warning disable CA1051, SA1401, IDE1006 // fields named as the README's variables
public abstract class ReadmeHarness
{
    protected (IServiceCollection Services, IConfiguration Configuration) builder;
    protected IServiceProvider services = null!;
    protected IAiChatFactory factory = null!;
    protected MessageStore store = null!;
    protected ChatSession session = null!;
    protected Guid otherSessionId;
    protected Guid? optionalSessionId;
    protected IScheduler uiScheduler = null!;
    protected IChatClient chatClient = null!;
    protected IAsyncEnumerable<string> tokens = null!;
    protected string email = "";
    protected string password = "";

    protected static void Render(IReadOnlyList<ChatSessionState> sessions, ChatSessionState? active, bool isLive, MessageStoreStats stats)
    {
    }
}
#pragma warning restore CA1051, SA1401, IDE1006
