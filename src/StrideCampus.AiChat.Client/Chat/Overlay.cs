namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A row as the server last confirmed it plus this client's pending writes on top (the last one wins).
/// A pending value of <see langword="null"/> is a pending delete. Rolling back a write removes it from
/// the stack, so the row falls back to the newest server value (not to a stale copy).
/// </summary>
internal class Overlay<T>
    where T : class
{
    private List<(long Token, T? Value)>? _pending;

    /// <summary>The last row the server confirmed (write response, realtime event or snapshot); null when none.</summary>
    public T? Server { get; set; }

    public bool HasPending => _pending is { Count: > 0 };

    /// <summary>
    /// A newer value heard ahead of the database (a streamed reply's relayed tokens), shown over
    /// <see cref="Server"/> until the server catches up; the owner clears it.
    /// </summary>
    public T? Tentative { get; set; }

    /// <summary>What the app sees: the newest pending value, else the tentative value, else the server row.</summary>
    public T? Visible => _pending is { Count: > 0 } pending ? pending[^1].Value : Tentative ?? Server;

    /// <summary>Whether nothing is left: no server row and no pending write.</summary>
    public bool IsEmpty => Server is null && !HasPending;

    public void Push(long token, T? value) => (_pending ??= []).Add((token, value));

    public bool Replace(long token, T? value)
    {
        if (_pending is null)
        {
            return false;
        }

        for (var i = 0; i < _pending.Count; i++)
        {
            if (_pending[i].Token == token)
            {
                _pending[i] = (token, value);
                return true;
            }
        }

        return false;
    }

    public bool Remove(long token)
    {
        if (_pending is null)
        {
            return false;
        }

        for (var i = 0; i < _pending.Count; i++)
        {
            if (_pending[i].Token == token)
            {
                _pending.RemoveAt(i);
                return true;
            }
        }

        return false;
    }
}
