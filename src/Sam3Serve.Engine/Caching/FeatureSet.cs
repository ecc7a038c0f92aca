using Microsoft.ML.OnnxRuntime;

namespace Sam3Serve.Engine.Caching;

/// <summary>
/// Named encoder outputs shared between a cache and the requests using them. Reference counted: the values are
/// disposed when the cache has evicted the set and the last request has released it.
/// </summary>
internal sealed class FeatureSet
{
    private readonly Dictionary<string, OrtValue> _values;
    private int _references = 1;

    /// <summary>Takes ownership of <paramref name="values"/>; the creator holds the first reference.</summary>
    public FeatureSet(Dictionary<string, OrtValue> values)
    {
        _values = values;
        Bytes = values.Values.Sum(v => v.GetTensorSizeInBytes());
    }

    /// <summary>Total tensor bytes (device or host).</summary>
    public long Bytes { get; }

    /// <summary>Output names held.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>The value named <paramref name="name"/>.</summary>
    public OrtValue this[string name] => _values.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"no feature '{name}'");

    /// <summary>Adds a reference unless the set is already released; false means it must not be used.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Drops a reference; the last one disposes the values.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            foreach (var v in _values.Values)
            {
                v.Dispose();
            }
        }
    }
}
