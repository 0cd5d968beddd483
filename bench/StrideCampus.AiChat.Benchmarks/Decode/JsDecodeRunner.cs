using System.Diagnostics;
using System.Text.Json;

namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>Runs bench/decode-js (the official realtime-js on the same recording) in Node and collects its rates.</summary>
internal static class JsDecodeRunner
{
    public static async Task<JsDecodeResult> RunAsync(string recordingPath, int processes, CancellationToken cancellationToken)
    {
        var directory = FindScriptDirectory();
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            Console.WriteLine("decode-js: npm ci");
            await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], directory, cancellationToken).ConfigureAwait(false);
        }

        var rates = new List<double>();
        string? node = null;
        for (var i = 0; i < processes; i++)
        {
            var output = await RunAsync("node", ["decode.mjs", recordingPath, "5"], directory, cancellationToken).ConfigureAwait(false);
            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
            using var doc = JsonDocument.Parse(last);
            node = doc.RootElement.GetProperty("node").GetString();
            rates.AddRange(doc.RootElement.GetProperty("rates").EnumerateArray().Select(r => r.GetDouble()));
        }

        return new JsDecodeResult(node ?? "?", [.. rates.Order()]);
    }

    private static string FindScriptDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "decode-js");
            if (File.Exists(Path.Combine(candidate, "decode.mjs")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("bench/decode-js not found above " + AppContext.BaseDirectory);
    }

    private static async Task<string> RunAsync(string file, string[] args, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr.ConfigureAwait(false)}");
        }

        return await stdout.ConfigureAwait(false);
    }
}
