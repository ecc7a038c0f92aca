namespace Sam3Serve.Server.Processing;

/// <summary>
/// The one concurrency limit in front of the model: v1 requests and v2 workers take a slot from the
/// same pool (size = --workers), so together they never run more than that many requests at once.
/// Also counts v1 requests that are waiting or running, for queue admission.
/// </summary>
internal sealed class WorkSlots(int workers)
{
    private readonly SemaphoreSlim _slots = new(workers, workers);
    private int _syncInFlight;

    /// <summary>v1 requests admitted and not yet answered.</summary>
    public int SyncInFlight => Volatile.Read(ref _syncInFlight);

    /// <summary>Waits for a free slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    /// <summary>Counts a v1 request as admitted; dispose to uncount.</summary>
    public IDisposable TrackSync()
    {
        Interlocked.Increment(ref _syncInFlight);
        return new SyncTracker(this);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }

    private sealed class SyncTracker(WorkSlots owner) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref owner._syncInFlight);
            }
        }
    }
}
