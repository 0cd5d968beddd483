using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>
/// postgres_changes frames recorded from LocalStack (serializer 2.0.0 text frames, as received), with what a
/// replay needs: the user and sessions they belong to, the join reply's bindings and the expected end state.
/// Stored as a header line of JSON followed by one frame per line (JSON text has no raw newlines).
/// </summary>
internal sealed class FrameRecording
{
    // 2: LocalStack writes frames as Supabase does (no \u002B for +); 3: deletes arrive as deletion-log inserts.
    public const int FormatVersion = 3;

    public FrameRecording(FrameRecordingHeader header, IReadOnlyList<string> frames)
    {
        Header = header;
        Frames = frames;
    }

    public FrameRecordingHeader Header { get; }

    public IReadOnlyList<string> Frames { get; }

    /// <summary>Where the recording is cached (never committed): a temp directory, or BENCH_RECORDING_DIR.</summary>
    public static string DefaultPath =>
        Path.Combine(
            Environment.GetEnvironmentVariable("BENCH_RECORDING_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "stridecampus-aichat-bench"),
            $"decode-frames-v{FormatVersion}.txt");

    public static FrameRecording? TryLoad(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = JsonSerializer.Deserialize<FrameRecordingHeader>(reader.ReadLine() ?? "null");
        if (header is null || header.Version != FormatVersion)
        {
            return null;
        }

        var frames = new List<string>(header.FrameCount);
        while (reader.ReadLine() is { } line)
        {
            frames.Add(line);
        }

        return frames.Count == header.FrameCount ? new FrameRecording(header, frames) : null;
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false)))
        {
            writer.WriteLine(JsonSerializer.Serialize(Header));
            foreach (var frame in Frames)
            {
                writer.WriteLine(frame);
            }
        }

        File.Move(temp, path, overwrite: true);
    }
}
