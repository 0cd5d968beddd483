using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.Client.Rest;

// Signs up, subscribes to RealtimeAIChats, creates a session over REST and waits for the
// SessionCreated event: proof that the package works from a plain PackageReference.
var url = new Uri(Environment.GetEnvironmentVariable("API_URL") ?? throw new InvalidOperationException("API_URL"));
var anonKey = Environment.GetEnvironmentVariable("ANON_KEY") ?? throw new InvalidOperationException("ANON_KEY");

await using var services = new ServiceCollection()
    .AddAiChatClient(o => { o.Url = url; o.AnonKey = anonKey; })
    .BuildServiceProvider();
var auth = services.GetRequiredService<SupabaseAuthClient>();
var session = await auth.SignUpAsync($"consumer-{Guid.NewGuid():N}@example.test", "consumer-password-1");

await using var chats = await services.GetRequiredService<IAiChatFactory>().CreateRealtimeAIChatsAsync();
var created = new TaskCompletionSource<ChatSession>(TaskCreationOptions.RunContinuationsAsynchronously);
using var subscription = chats.SessionCreated.Subscribe(s => created.TrySetResult(s));

var rest = services.GetRequiredService<PostgrestClient>();
await rest.RpcAsync("ai_chat_set_active_session", new JsonObject { ["p_session_id"] = null });
var title = "from the package " + Guid.NewGuid().ToString("N")[..6];
var table = rest.From("ai_chat_sessions", PackageConsumerJson.Default.JsonObject);
await table.InsertAsync(new JsonObject { ["title"] = title, ["user_id"] = session.User.Id.ToString() });

var winner = await Task.WhenAny(created.Task, Task.Delay(TimeSpan.FromSeconds(15)));
if (winner != created.Task || created.Task.Result.Title != title)
{
    Console.Error.WriteLine("No SessionCreated event arrived.");
    return 1;
}
Console.WriteLine($"Package consumer received SessionCreated '{created.Task.Result.Title}' for user {session.User.Id}.");
return 0;

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class PackageConsumerJson : System.Text.Json.Serialization.JsonSerializerContext;
