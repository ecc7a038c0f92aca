namespace Sam3Serve.Server.Processing;

/// <summary>
/// Wakes idle v2 workers when a job is enqueued in this process, so they need not poll the store
/// tightly; they still poll slowly to pick up jobs left by a crash or enqueued by another process.
/// </summary>
internal sealed class JobSignal
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Announces one new job.</summary>
    public void Notify() => _signal.Release();

    /// <summary>Waits for an announcement or the timeout.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
