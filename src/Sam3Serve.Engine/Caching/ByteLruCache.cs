namespace Sam3Serve.Engine.Caching;

/// <summary>
/// A least-recently-used cache of <see cref="FeatureSet"/>s bounded by their total bytes. Thread-safe. The cache
/// holds one reference per entry; <see cref="TryGet"/> hands out another that the caller releases.
/// </summary>
internal sealed class ByteLruCache<TKey> : IDisposable
    where TKey : notnull
{
    private readonly long _capacity;
    private readonly LinkedList<(TKey Key, FeatureSet Value)> _order = new();
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, FeatureSet Value)>> _map = new();
    private readonly Lock _lock = new();
    private long _bytes;

    /// <summary>A cache holding at most <paramref name="capacityBytes"/> (0 disables caching).</summary>
    public ByteLruCache(long capacityBytes) => _capacity = Math.Max(0, capacityBytes);

    /// <summary>Bytes held.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Entries held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>Looks <paramref name="key"/> up; on a hit the returned set carries a reference for the caller.</summary>
    public bool TryGet(TKey key, out FeatureSet? value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node) && node.Value.Value.TryAcquire())
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>
    /// Offers <paramref name="value"/> (the caller keeps its own reference). Returns false, without taking a reference,
    /// when it is larger than the whole cache or the key is already present.
    /// </summary>
    public bool Add(TKey key, FeatureSet value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var evicted = new List<FeatureSet>();
        lock (_lock)
        {
            if (value.Bytes > _capacity || _map.ContainsKey(key) || !value.TryAcquire())
            {
                return false;
            }
            _map[key] = _order.AddFirst((key, value));
            _bytes += value.Bytes;
            while (_bytes > _capacity && _order.Last is { } last)
            {
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
                _bytes -= last.Value.Value.Bytes;
                evicted.Add(last.Value.Value);
            }
        }
        foreach (var set in evicted)
        {
            set.Release();
        }
        return true;
    }

    /// <summary>Drops every entry.</summary>
    public void Clear()
    {
        List<FeatureSet> all;
        lock (_lock)
        {
            all = _order.Select(n => n.Value).ToList();
            _order.Clear();
            _map.Clear();
            _bytes = 0;
        }
        foreach (var set in all)
        {
            set.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Clear();
}
