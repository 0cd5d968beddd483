using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// Turns the few distinct strings of a frame stream (topics, event names, schemas, tables, join refs) into shared
/// string instances without allocating on a hit. Not thread-safe: used by the single receive loop.
/// </summary>
internal sealed class Utf8StringCache
{
    private readonly byte[][] _keys;
    private readonly string[] _values;
    private int _count;
    private int _next;
    private int _lastHit;
    private int _previousHit;

    public Utf8StringCache(int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _keys = new byte[capacity][];
        _values = new string[capacity];
        Array.Fill(_keys, []);
        Array.Fill(_values, "");
    }

    public string Get(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > 128)
        {
            return reader.GetString()!;
        }

        return Get(reader.ValueSpan);
    }

    public string Get(ReadOnlySpan<byte> utf8)
    {
        // Frames come in runs of one topic and event: try the last two hits first.
        if (utf8.SequenceEqual(_keys[_lastHit]))
        {
            return _values[_lastHit];
        }

        if (utf8.SequenceEqual(_keys[_previousHit]))
        {
            (_lastHit, _previousHit) = (_previousHit, _lastHit);
            return _values[_lastHit];
        }

        for (var i = 0; i < _count; i++)
        {
            if (utf8.SequenceEqual(_keys[i]))
            {
                _previousHit = _lastHit;
                _lastHit = i;
                return _values[i];
            }
        }

        var value = Encoding.UTF8.GetString(utf8);
        if (utf8.Length <= 128)
        {
            var slot = _count < _keys.Length ? _count++ : _next++ % _keys.Length;
            _keys[slot] = utf8.ToArray();
            _values[slot] = value;
        }

        return value;
    }
}
