using System.Reflection;
using System.Xml.Linq;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>
/// Every action of <see cref="MessageStore"/> names in its XML docs the exceptions it throws (issue 17:
/// <c>AddMessageAsync</c> threw an undocumented <see cref="ArgumentException"/> for a session the store
/// does not hold). Read from the documentation file the package ships.
/// </summary>
public sealed class MessageStoreExceptionDocsTests
{
    private static readonly string[] Always =
        [nameof(ChatOperationException), nameof(ObjectDisposedException), nameof(OperationCanceledException)];

    public static TheoryData<string> Actions()
    {
        var data = new TheoryData<string>();
        foreach (var name in typeof(MessageStore).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                     .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType)).Select(m => m.Name).Distinct())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Actions))]
    public void An_action_documents_the_exceptions_it_throws(string action)
    {
        var docs = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "StrideCampus.AiChat.Client.xml"));
        var members = docs.Descendants("member")
            .Where(m => ((string?)m.Attribute("name"))?.StartsWith($"M:{typeof(MessageStore).FullName}.{action}(", StringComparison.Ordinal) == true)
            .ToList();
        Assert.NotEmpty(members);
        foreach (var member in members)
        {
            var documented = member.Elements("exception").Select(e => ((string?)e.Attribute("cref") ?? "").Split('.')[^1]).ToHashSet();
            var expected = Always.ToList();
            if (((string)member.Attribute("name")!).Contains("System.Guid", StringComparison.Ordinal) &&
                !action.StartsWith("DeleteMessage", StringComparison.Ordinal) && !action.StartsWith("UpdateMessage", StringComparison.Ordinal))
            {
                expected.Add(nameof(ArgumentException)); // an id the store does not hold is refused before any request
            }

            Assert.True(expected.All(documented.Contains),
                $"{member.Attribute("name")} documents [{string.Join(", ", documented)}]; expected [{string.Join(", ", expected)}]");
        }
    }

    [Fact]
    public void Actions_are_found()
    {
        Assert.Contains(nameof(MessageStore.AddMessageAsync), ((IEnumerable<object[]>)Actions()).Select(a => (string)a[0]));
    }
}
