using System.Text;

namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>
/// The recorded frames as UTF-8 bytes (as a socket delivers them), with the topic replaced by a slot of fixed
/// length: every store listens on its own channel (<c>realtime:ai-chat:{user:N}:{guid:N}</c>, always 82
/// characters), so each replay writes its topic into the slot in place instead of copying 100,000 frames.
/// </summary>
internal sealed class ReplayFrames
{
    public const int TopicLength = 82;

    private readonly int[] _topicOffsets;

    public ReplayFrames(FrameRecording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var quoted = "\"" + recording.Header.Topic + "\"";
        var slot = "\"" + new string('x', TopicLength) + "\"";
        Frames = new byte[recording.Frames.Count][];
        _topicOffsets = new int[Frames.Length];
        for (var i = 0; i < Frames.Length; i++)
        {
            var text = recording.Frames[i];
            var at = text.IndexOf(quoted, StringComparison.Ordinal);
            if (at < 0)
            {
                throw new InvalidOperationException($"frame {i} does not carry the topic {recording.Header.Topic}");
            }

            var rewritten = string.Concat(text.AsSpan(0, at), slot, text.AsSpan(at + quoted.Length));
            Frames[i] = Encoding.UTF8.GetBytes(rewritten);
            _topicOffsets[i] = Encoding.UTF8.GetByteCount(text.AsSpan(0, at)) + 1;
        }
    }

    public byte[][] Frames { get; }

    public void SetTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var bytes = Encoding.UTF8.GetBytes(topic);
        if (bytes.Length != TopicLength)
        {
            throw new ArgumentException($"topic '{topic}' is not {TopicLength} bytes long", nameof(topic));
        }

        for (var i = 0; i < Frames.Length; i++)
        {
            bytes.CopyTo(Frames[i].AsSpan(_topicOffsets[i]));
        }
    }
}
