using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>The writer as the server's assistant worker uses it: over a message a client requested, or abandoned.</summary>
public sealed class ExistingRowReplyWriterTests
{
    private static readonly Guid User = Guid.NewGuid();

    [Fact]
    public async Task Over_an_existing_row_every_write_is_an_update_and_the_first_marks_it_streaming()
    {
        var db = new FakeChatDatabase(User);
        var session = db.SeedSession("s");
        var placeholder = db.SeedMessage(session.Id, "", isUser: false) with { Status = MessageStatus.Pending };
        var first = new TaskCompletionSource<ChatMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new StreamedReplyWriter(db, placeholder with { Status = MessageStatus.Streaming }, TimeSpan.Zero, TimeProvider.System,
            row => first.TrySetResult(row), NullLogger.Instance, rowExists: true);

        writer.Update("a");
        var firstRow = await first.Task.WaitAsync(TimeSpan.FromSeconds(10));
        writer.Update("ab");
        var final = await writer.CompleteAsync("abc", MessageStatus.Stopped);

        Assert.Equal(0, db.CallCount(nameof(FakeChatDatabase.UpsertMessageAsync)));
        Assert.Equal(("a", MessageStatus.Streaming), (firstRow.Content, firstRow.Status)); // the seeded row was complete
        Assert.Equal(("abc", MessageStatus.Stopped), (final!.Content, final.Status));
        Assert.Equal(("abc", MessageStatus.Stopped), (db.GetMessage(placeholder.Id)!.Content, db.GetMessage(placeholder.Id)!.Status));
    }

    [Fact]
    public async Task A_row_deleted_before_the_first_write_is_not_brought_back()
    {
        var db = new FakeChatDatabase(User);
        var session = db.SeedSession("s");
        var placeholder = db.SeedMessage(session.Id, "", isUser: false);
        db.DeleteMessageDirect(placeholder.Id); // regenerated meanwhile
        var writer = new StreamedReplyWriter(db, placeholder, TimeSpan.Zero, TimeProvider.System, _ => { }, NullLogger.Instance, rowExists: true);

        writer.Update("late");
        Assert.Null(await writer.CompleteAsync("late text", MessageStatus.Complete));
        Assert.Null(db.GetMessage(placeholder.Id));
        Assert.Equal(0, db.CallCount(nameof(FakeChatDatabase.UpsertMessageAsync)));
    }

    [Fact]
    public async Task Abandoned_it_makes_no_final_write()
    {
        var db = new FakeChatDatabase(User);
        var session = db.SeedSession("s");
        var placeholder = db.SeedMessage(session.Id, "", isUser: false);
        var confirmed = new TaskCompletionSource();
        var writer = new StreamedReplyWriter(db, placeholder, TimeSpan.Zero, TimeProvider.System, _ => confirmed.TrySetResult(), NullLogger.Instance, rowExists: true);
        writer.Update("partial");
        await confirmed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await writer.AbandonAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(MessageStatus.Streaming, db.GetMessage(placeholder.Id)!.Status); // another worker will finish it
        Assert.Equal("partial", db.GetMessage(placeholder.Id)!.Content);
    }
}
