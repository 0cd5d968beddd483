using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Readme;

/// <summary>
/// Every <c>```csharp</c> block of the README compiles against this build of the SDK (issue 17), so the
/// README cannot drift from the API. The block after <c>&lt;!-- first app: Program.cs --&gt;</c> is a
/// whole program, compiled as <c>dotnet new console</c> would (implicit usings, nullable, warnings are
/// errors); every other block is a fragment, compiled inside <see cref="ReadmeHarness"/>. The package
/// consumer check (tests/package-consumer/verify.sh) also runs the first app from the packed .nupkg.
/// </summary>
public sealed class ReadmeSnippetTests
{
    internal const string FirstAppMarker = "<!-- first app: Program.cs -->";

    /// <summary>What <c>dotnet new console</c> puts in scope (ImplicitUsings for Microsoft.NET.Sdk).</summary>
    private static readonly string[] ConsoleImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    /// <summary>What a fragment may use beyond the console's usings (the README says so above the API tour).</summary>
    private static readonly string[] FragmentUsings =
    [
        "System.Reactive.Linq", "Microsoft.Extensions.AI", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection",
        "StrideCampus.AiChat.Client.Auth", "StrideCampus.AiChat.Client.Chat", "StrideCampus.AiChat.Client.DependencyInjection",
        "StrideCampus.AiChat.Client.Realtime", "StrideCampus.AiChat.Client.Rest",
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    public static TheoryData<int> Fragments()
    {
        var data = new TheoryData<int>();
        var blocks = ReadBlocks();
        for (var i = 0; i < blocks.Count; i++)
        {
            if (!blocks[i].IsFirstApp)
            {
                data.Add(i);
            }
        }

        return data;
    }

    [Fact]
    public void The_readme_has_exactly_one_first_app_and_some_fragments()
    {
        var blocks = ReadBlocks();
        Assert.Single(blocks, b => b.IsFirstApp);
        Assert.True(blocks.Count(b => !b.IsFirstApp) >= 4, "the API tour has C# blocks");
    }

    [Fact]
    public void The_first_app_compiles_as_a_new_console_project_with_no_warnings()
    {
        var app = ReadBlocks().Single(b => b.IsFirstApp);
        var global = string.Join('\n', ConsoleImplicitUsings.Select(u => $"global using global::{u};"));
        var diagnostics = Compile(OutputKind.ConsoleApplication, [global, app.Code]);
        Assert.True(diagnostics.Length == 0, Describe("first app", app, diagnostics));
    }

    [Theory]
    [MemberData(nameof(Fragments))]
    public void A_fragment_compiles_inside_the_documented_harness(int index)
    {
        var block = ReadBlocks()[index];
        var usings = string.Join('\n', ConsoleImplicitUsings.Concat(FragmentUsings).Select(u => $"using {u};"));
        var source = $$"""
            {{usings}}
            #nullable enable
            internal sealed class Fragment : {{typeof(ReadmeHarness).FullName}}
            {
                public async System.Threading.Tasks.Task RunAsync()
                {
            #line 1
            {{block.Code}}
                    await System.Threading.Tasks.Task.CompletedTask;
                }
            }
            """;
        var errors = Compile(OutputKind.DynamicallyLinkedLibrary, [source]).Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, Describe($"fragment {index}", block, errors));
    }

    [Fact]
    public void A_broken_block_is_reported()
    {
        // The check itself can fail: an API that does not exist is an error.
        var diagnostics = Compile(OutputKind.ConsoleApplication, ["await new StrideCampus.AiChat.Client.Chat.MessageStoreOptions().NoSuchMemberAsync();"]);
        Assert.Contains(diagnostics, d => d.Id == "CS1061");
    }

    internal static string ReadmePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(Path.Combine(dir.FullName, "StrideCampus.AiChat.Client.sln")) && File.Exists(candidate))
            {
                return candidate; // the repository's own README, when the tests run from a clone
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "Readme", "README.md");
    }

    internal static List<ReadmeBlock> ReadBlocks()
    {
        var lines = File.ReadAllLines(ReadmePath());
        var blocks = new List<ReadmeBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            var previous = i - 1;
            while (previous >= 0 && lines[previous].Trim().Length == 0)
            {
                previous--;
            }

            var firstApp = previous >= 0 && lines[previous].Trim() == FirstAppMarker;
            blocks.Add(new ReadmeBlock(start + 1, string.Join('\n', lines[start..end]), firstApp));
            i = end;
        }

        return blocks;
    }

    internal static ImmutableArray<Diagnostic> Compile(OutputKind kind, string[] sources)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Readme" + Guid.NewGuid().ToString("N"),
            sources.Select(s => CSharpSyntaxTree.ParseText(s, parse)),
            References.Value,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable)
                // As the .NET SDK does: assembly version unification is not a warning.
                .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));
        using var output = new MemoryStream();
        return [.. compilation.Emit(output).Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && !d.IsSuppressed)];
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The runtime's assemblies and the test's dependencies: the SDK, System.Reactive,
        // Microsoft.Extensions.* (DependencyInjection, AI, Configuration), and this assembly for the harness.
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Append(typeof(MessageStore).Assembly.Location)
            .Append(typeof(ReadmeHarness).Assembly.Location);
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in paths)
        {
            byName.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }

        return [.. byName.Values.Where(IsManagedAssembly).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new System.Reflection.PortableExecutable.PEReader(stream);
            return reader.HasMetadata;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static string Describe(string what, ReadmeBlock block, IEnumerable<Diagnostic> diagnostics) =>
        $"README.md line {block.Line}, {what}:\n" + string.Join('\n', diagnostics.Select(d => d.ToString())) + "\n---\n" + block.Code;

    internal sealed record ReadmeBlock(int Line, string Code, bool IsFirstApp);
}
