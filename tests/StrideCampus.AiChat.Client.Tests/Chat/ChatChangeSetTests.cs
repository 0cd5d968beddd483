using Microsoft.CodeAnalysis;
using StrideCampus.AiChat.Client.Tests.Readme;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>The change types are a closed set: app code can switch over them but cannot add one (issue 15).</summary>
public class ChatChangeSetTests
{
    [Fact]
    public void App_code_cannot_derive_a_change_even_through_the_records_copy_constructor()
    {
        // A non-sealed record's copy constructor must be protected, so it is the one way in: the internal abstract member closes it.
        var diagnostics = ReadmeSnippetTests.Compile(OutputKind.DynamicallyLinkedLibrary, ["""
            using StrideCampus.AiChat.Client.Chat;
            public sealed record Forged : ChatChange
            {
                public Forged(ChatChange other) : base(other) { }
            }
            """]);
        Assert.Contains(diagnostics, d => d.Id == "CS0534" && d.GetMessage().Contains("IsDeletion", StringComparison.Ordinal));
    }

    [Fact]
    public void App_code_switches_over_the_change_types_with_non_null_payloads()
    {
        var diagnostics = ReadmeSnippetTests.Compile(OutputKind.DynamicallyLinkedLibrary, ["""
            #nullable enable
            using System;
            using StrideCampus.AiChat.Client.Chat;
            public static class App
            {
                public static string Show(ChatChange change) => change switch
                {
                    SessionChange s => s.Session.Title,
                    MessageChange m => m.Message.Content,
                    SessionDeletion or MessageDeletion => "deleted " + change.Id,
                    _ => throw new InvalidOperationException(),
                };
            }
            """]);
        Assert.Empty(diagnostics);
    }
}
