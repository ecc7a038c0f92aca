using Sam3Serve.Jobs.Queue;

namespace Sam3Serve.Server.Workers;

/// <summary>
/// Writes the stage a job is in to the store as the pipeline reports it, so a /v2 status poll (from any API process)
/// shows "image encoder" while the minute-long pass runs. Writes are chained in order and never fail the job: a
/// store hiccup only delays what the status shows.
/// </summary>
internal sealed class JobStageReporter(IJobStore jobs, LeasedJob leased) : IProgress<string>
{
    private readonly Lock _lock = new();
    private Task _last = Task.CompletedTask;

    public void Report(string value)
    {
        lock (_lock)
        {
            _last = _last.ContinueWith(_ => WriteAsync(value), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Waits for the writes already started (before the job's end is recorded).</summary>
    public Task FlushAsync()
    {
        lock (_lock)
        {
            return _last;
        }
    }

    private async Task WriteAsync(string stage)
    {
        try
        {
            await jobs.SetStageAsync(leased, stage, CancellationToken.None);
        }
        catch (Exception)
        {
            // Progress is best effort; the lease renewal reports a store that stays unreachable.
        }
    }
}
