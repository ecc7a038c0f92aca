namespace Sam3Serve.Engine.Onnx;

/// <summary>
/// Bounds how many model runs execute at once in the process. One SAM 3 trunk pass needs ~3.4 GB of activations on
/// top of the weights and already uses every core, so two at once only add memory: with <c>--workers 2</c> the
/// second request waits here (in its queue slot) instead of pushing the process into the out-of-memory killer.
/// </summary>
internal sealed class ModelRunGate : IDisposable
{
    private readonly SemaphoreSlim _slots;

    /// <summary>A gate admitting <paramref name="concurrentRuns"/> runs at a time.</summary>
    public ModelRunGate(int concurrentRuns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrentRuns, 1);
        ConcurrentRuns = concurrentRuns;
        _slots = new SemaphoreSlim(concurrentRuns, concurrentRuns);
    }

    /// <summary>Runs admitted at once.</summary>
    public int ConcurrentRuns { get; }

    /// <summary>Runs waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    private int _waiting;

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public Slot Enter(CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0, CancellationToken.None))
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                _slots.Wait(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
        return new Slot(_slots);
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    /// <summary>A held slot.</summary>
    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => slots.Release();
    }
}
