namespace LstmNative.Gpu.Inference;

/// <summary>
/// The executable graphs of a session, one per call shape, least recently used dropped (and disposed) beyond the
/// capacity. Not thread-safe: a session serves one caller at a time. Lookups allocate nothing.
/// </summary>
internal sealed class GraphCache<TKey, TGraph> : IDisposable
    where TKey : notnull
    where TGraph : class, IDisposable
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TGraph Graph)>> _map = new();
    private readonly LinkedList<(TKey Key, TGraph Graph)> _order = new(); // most recently used first

    public GraphCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _map.Count;

    /// <summary>Lookups that found a graph.</summary>
    public long Hits { get; private set; }

    /// <summary>Lookups that did not.</summary>
    public long Misses { get; private set; }

    /// <summary>Graphs dropped to stay within the capacity.</summary>
    public long Evictions { get; private set; }

    public bool TryGet(TKey key, out TGraph graph)
    {
        if (_map.TryGetValue(key, out var node))
        {
            if (node != _order.First)
            {
                _order.Remove(node);
                _order.AddFirst(node);
            }
            Hits++;
            graph = node.Value.Graph;
            return true;
        }
        Misses++;
        graph = null!;
        return false;
    }

    /// <summary>Adds a graph for a key not present; evicts the least recently used beyond the capacity.</summary>
    public void Add(TKey key, TGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (_map.ContainsKey(key))
            throw new InvalidOperationException($"a graph for {key} is already cached");
        _map[key] = _order.AddFirst((key, graph));
        while (_map.Count > Capacity)
        {
            var oldest = _order.Last!;
            _order.RemoveLast();
            _map.Remove(oldest.Value.Key);
            Evictions++;
            oldest.Value.Graph.Dispose();
        }
    }

    public bool Contains(TKey key) => _map.ContainsKey(key);

    /// <summary>Disposes every graph.</summary>
    public void Clear()
    {
        foreach (var (_, graph) in _order)
            graph.Dispose();
        _order.Clear();
        _map.Clear();
    }

    public void Dispose() => Clear();
}
