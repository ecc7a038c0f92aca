namespace Sam3Serve.Server.Webhooks;

/// <summary>
/// Wakes the webhook sender when this process writes a message, so a notification leaves at once; the
/// sender still polls slowly for messages written by other processes or due for a retry.
/// </summary>
internal sealed class WebhookSignal
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Announces a new message.</summary>
    public void Notify() => _signal.Release();

    /// <summary>Waits for an announcement or the timeout.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
