using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>The real engine behind a configurable delay, so tests can hold a request in PROCESSING.</summary>
public sealed class SlowEngine(ISegmentationEngine inner) : ISegmentationEngine
{
    private long _delayTicks;

    /// <summary>How long each request waits before the real engine runs it; zero for none.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <inheritdoc />
    public bool IsReady => inner.IsReady;

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask<SegmentationResult> SegmentAsync(SegmentationRequest request, RgbImage image, CancellationToken cancellationToken)
    {
        var delay = Delay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }
        return await inner.SegmentAsync(request, image, cancellationToken);
    }
}
