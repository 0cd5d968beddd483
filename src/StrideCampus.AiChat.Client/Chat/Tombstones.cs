namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A bounded set of recently deleted ids, so a late insert or update cannot bring a row back.</summary>
internal sealed class Tombstones(int capacity)
{
    private readonly HashSet<Guid> _ids = [];
    private readonly Queue<Guid> _order = new();

    public int Count => _ids.Count;

    public bool Contains(Guid id) => _ids.Contains(id);

    public void Add(Guid id)
    {
        if (!_ids.Add(id))
        {
            return;
        }

        _order.Enqueue(id);
        while (_order.Count > capacity)
        {
            _ids.Remove(_order.Dequeue());
        }
    }

    public void Remove(Guid id) => _ids.Remove(id);
}
