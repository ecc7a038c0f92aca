namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>
/// The system clock moved by an offset that a test sets, so that the server's fixed per-minute rate window
/// ends a chosen number of seconds from now. Time still runs at real speed, so the SDK's real waits stay valid.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Shifts the clock so that the current wall-clock minute ends <paramref name="fromNow"/> after this call.</summary>
    public void EndMinuteIn(TimeSpan fromNow)
    {
        var real = base.GetUtcNow();
        var sinceMinute = TimeSpan.FromTicks(real.Ticks % TimeSpan.TicksPerMinute);
        var wanted = TimeSpan.FromMinutes(1) - fromNow;
        Interlocked.Exchange(ref _offsetTicks, (wanted - sinceMinute).Ticks);
    }
}
