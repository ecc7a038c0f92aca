using Microsoft.Extensions.Time.Testing;
using Sam3Serve.Tests.Common;

namespace Sam3Serve.Client.Tests.Infrastructure;

/// <summary>
/// Virtual time that also tells when the code under test has started waiting on it: every <c>Task.Delay</c> on a
/// <see cref="TimeProvider"/> creates a timer, so "the client is now waiting" is an observable event and a test can
/// move the clock exactly then, instead of sleeping and hoping the client got there first.
/// </summary>
public sealed class WaitingClock() : FakeTimeProvider(DateTimeOffset.UtcNow)
{
    private int _timers;

    /// <summary>How many timers (waits) the code has started so far.</summary>
    public int Timers => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }

    /// <summary>Waits (in real time, bounded) until the code has started its <paramref name="count"/>-th wait.</summary>
    public Task WaitForTimersAsync(int count) =>
        Poll.UntilAsync(() => Timers >= count, TimeSpan.FromSeconds(10), $"the code did not start wait {count}");
}
