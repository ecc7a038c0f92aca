namespace Sam3Serve.Jobs.Queue;

/// <summary>
/// Durable queue and result store for asynchronous requests. A job is leased, not popped: a worker
/// that dies leaves it to be taken again once its lease runs out, so every accepted request ends
/// COMPLETED or FAILED. Implementations must be safe to call from many threads (and, for shared
/// backends, many processes).
/// </summary>
public interface IJobStore
{
    /// <summary>Stores a new job durably; when this returns, a crash can no longer lose it.</summary>
    Task EnqueueAsync(NewJob job, CancellationToken cancellationToken);

    /// <summary>The job, or null when it is unknown or its retention has run out.</summary>
    Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the oldest job that is queued, or processing with an expired lease, for <paramref name="lease"/>.
    /// Returns null when there is none.
    /// </summary>
    Task<LeasedJob?> LeaseNextAsync(string workerId, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends a lease that is still held; false when the lease was lost.</summary>
    Task<bool> RenewLeaseAsync(LeasedJob leased, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Records the outcome, its media, its webhook message (if any) and the expiry (now + retention) in one step. Returns false, and
    /// changes nothing, when the lease was lost or the job already finished — so a job is never
    /// reported finished twice with different results.
    /// </summary>
    Task<bool> FinishAsync(LeasedJob leased, JobOutcome outcome, TimeSpan retention, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a QUEUED or PROCESSING job at once with <paramref name="outcome"/> (a failure; its webhook message,
    /// if any, is written in the same step) and the expiry (now + retention). Returns false, changing nothing,
    /// when the job is unknown or already ended. A worker still holding the job then finds its lease gone:
    /// its renewals and its <see cref="FinishAsync"/> fail, so the cancellation is never overwritten.
    /// Announces the id to <see cref="SubscribeCancellationsAsync"/> handlers of every process sharing the store.
    /// </summary>
    Task<bool> CancelAsync(string id, JobOutcome outcome, TimeSpan retention, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="onCancelled"/> with the id of each job cancelled from now on, in any process
    /// sharing the store, so a worker running it can stop at once. Best effort (a notice can be missed while
    /// the store reconnects): a worker also learns of it when its next lease renewal fails.
    /// </summary>
    Task SubscribeCancellationsAsync(Action<string> onCancelled, CancellationToken cancellationToken);

    /// <summary>The inline image bytes stored with the job, or null.</summary>
    Task<byte[]?> GetInputImageAsync(string id, CancellationToken cancellationToken);

    /// <summary>A result image of a retained job, or null.</summary>
    Task<byte[]?> GetMediaAsync(string id, string name, CancellationToken cancellationToken);

    /// <summary>Jobs waiting or running (the queue depth used for admission and metrics).</summary>
    Task<int> CountPendingAsync(CancellationToken cancellationToken);

    /// <summary>Deletes finished jobs (and media) whose retention ran out; returns how many.</summary>
    Task<int> PurgeExpiredAsync(CancellationToken cancellationToken);

    /// <summary>True when the store answers (readiness).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
