using Sam3Serve.Engine.Caching;

namespace Sam3Serve.Engine.Features;

/// <summary>
/// One computation per key at a time: two requests for the same new image wait for one encoder pass instead of
/// running two (each a minute on a CPU); the second then finds the result in the cache.
/// </summary>
internal sealed class SingleFlight
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// The cached features under <paramref name="key"/>, else computed once by <paramref name="compute"/> (while
    /// other requests for the key wait) and offered to the cache. The result carries a reference for the caller.
    /// </summary>
    public FeatureSet GetOrCompute(ByteLruCache<string> cache, string key, Action onHit, Func<FeatureSet> compute, CancellationToken cancellationToken)
    {
        if (cache.TryGet(key, out var cached))
        {
            onHit();
            return cached!;
        }
        return Run(key, () =>
        {
            if (cache.TryGet(key, out var computedMeanwhile))
            {
                onHit();
                return computedMeanwhile!;
            }
            var features = compute();
            cache.Add(key, features);
            return features;
        }, cancellationToken);
    }

    public T Run<T>(string key, Func<T> work, CancellationToken cancellationToken)
    {
        var entry = Join(key);
        try
        {
            entry.Gate.Wait(cancellationToken);
            try
            {
                return work();
            }
            finally
            {
                entry.Gate.Release();
            }
        }
        finally
        {
            Leave(key, entry);
        }
    }

    /// <summary>
    /// Waits asynchronously (no thread held) until no other holder of <paramref name="key"/> remains, then holds it;
    /// dispose the result to let the next one in. The engine holds an image's key for a whole request, so a second
    /// request for a new image waits here, off any thread, and finds the encoder output cached.
    /// </summary>
    public async Task<IDisposable> EnterAsync(string key, CancellationToken cancellationToken)
    {
        var entry = Join(key);
        try
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }
        return new Held(this, key, entry);
    }

    /// <summary>Counts the caller as a user of <paramref name="key"/>'s gate, creating it for the first.</summary>
    private Entry Join(string key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry();
                _entries[key] = entry;
            }
            entry.Users++;
            return entry;
        }
    }

    /// <summary>The reverse of <see cref="Join"/>: the last user removes and disposes the gate.</summary>
    private void Leave(string key, Entry entry)
    {
        lock (_lock)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Gate.Dispose();
            }
        }
    }

    private sealed class Held(SingleFlight owner, string key, Entry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                entry.Gate.Release();
                owner.Leave(key, entry);
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public int Users { get; set; }
    }
}
