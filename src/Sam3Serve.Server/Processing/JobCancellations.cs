using System.Collections.Concurrent;

namespace Sam3Serve.Server.Processing;

/// <summary>
/// The cancellation tokens of the jobs this process is running, so a cancel (from this process's API or,
/// through the store's notices, from another process) stops the work at the engine's next stage boundary.
/// A cancel that arrives before the worker registered the job is remembered for a while, so the worker
/// still sees it.
/// </summary>
internal sealed class JobCancellations(TimeProvider time)
{
    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _early = new(StringComparer.Ordinal);

    /// <summary>A token for job <paramref name="id"/> that fires when it is cancelled; dispose the handle when the job is done.</summary>
    public Registration Register(string id)
    {
        var source = new CancellationTokenSource();
        _running[id] = source;
        if (_early.TryRemove(id, out _))
        {
            source.Cancel();
        }
        return new Registration(this, id, source);
    }

    /// <summary>Stops job <paramref name="id"/> if it runs here (or once it is registered).</summary>
    public void Cancel(string id)
    {
        if (_running.TryGetValue(id, out var source))
        {
            TryCancel(source);
            return;
        }
        var now = time.GetUtcNow();
        foreach (var (old, at) in _early)
        {
            if (now - at > RememberFor)
            {
                _early.TryRemove(old, out _);
            }
        }
        _early[id] = now;
        // Registered in between: the running entry wins.
        if (_running.TryGetValue(id, out source))
        {
            TryCancel(source);
        }
    }

    private static void TryCancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The job finished meanwhile.
        }
    }

    /// <summary>A running job's token; disposing it forgets the job.</summary>
    public sealed class Registration(JobCancellations owner, string id, CancellationTokenSource source) : IDisposable
    {
        /// <summary>Fires when the job is cancelled (or its lease is lost).</summary>
        public CancellationToken Token => source.Token;

        /// <summary>Stops the work (used when the lease is lost: someone else owns the job now).</summary>
        public void Cancel() => TryCancel(source);

        /// <inheritdoc />
        public void Dispose()
        {
            owner._running.TryRemove(new KeyValuePair<string, CancellationTokenSource>(id, source));
            owner._early.TryRemove(id, out _);
            source.Dispose();
        }
    }
}
