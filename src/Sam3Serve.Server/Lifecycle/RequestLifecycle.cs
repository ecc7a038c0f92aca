using System.Text.Json;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Auth;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Observability;
using Sam3Serve.Server.Processing;
using Sam3Serve.Server.Webhooks;

namespace Sam3Serve.Server.Lifecycle;

/// <summary>
/// A request's life from the hold of its price to its end, in one place: holding credits, submitting to the queue,
/// running a /v1 request now, finishing, failing, cancelling and expiring. Whatever ends a request settles its
/// hold (charged when a result is delivered, returned otherwise), writes its webhook message with its end, wakes
/// the webhook sender and counts it, here and nowhere else. Each step answers with a typed outcome; the API turns
/// outcomes into HTTP answers.
/// </summary>
internal sealed partial class RequestLifecycle(
    IJobStore jobs,
    IAccountStore accounts,
    CreditSettlement credits,
    ISyncRunner syncRunner,
    JobSignal jobSignal,
    JobCancellations cancellations,
    WebhookSignal webhookSignal,
    ServerOptions options,
    ServerMetrics metrics,
    TimeProvider time,
    ILogger<RequestLifecycle> logger)
{
    private static readonly TimeSpan ConfirmFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HoldRetry = TimeSpan.FromMilliseconds(250);
    private const int HoldAttempts = 40;

    /// <summary>The <c>error</c> of a cancelled request.</summary>
    public const string CancelledError = "cancelled";

    /// <summary>False while a /v1 request could not run yet (this process's model is still loading).</summary>
    public bool CanRunNow => syncRunner.IsReady;

    private TimeSpan Retention => options.Retention;

    /// <summary>
    /// Holds <paramref name="price"/> on <paramref name="keyId"/> for request <paramref name="requestId"/>. Holds are
    /// idempotent per request id, so a call cut off by a store failure is repeated (bounded) until the store answers,
    /// never leaving a hold nobody knows of; the last failure propagates.
    /// </summary>
    public async Task<HoldOutcome> HoldAsync(string keyId, string requestId, decimal price)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var reservation = await accounts.TryReserveAsync(keyId, requestId, price, CancellationToken.None);
                return new HoldOutcome(reservation.Reserved, reservation.Available);
            }
            catch (Exception) when (attempt < HoldAttempts)
            {
                await Task.Delay(HoldRetry, time);
            }
        }
    }

    /// <summary>
    /// Stores an accepted request whose price is held. When the store fails mid-call (a Redis restart) the write may
    /// or may not have happened: the store is asked again once it answers; the request is kept if it is there (no
    /// duplicate) and its hold returned if not.
    /// </summary>
    public async Task<SubmitOutcome> SubmitAsync(NewJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            await jobs.EnqueueAsync(job, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogEnqueueFailed(logger, e, job.Id);
            switch (await WasStoredAsync(job.Id))
            {
                case true:
                    break;
                case false:
                    await credits.RefundAsync(job.KeyId, job.Id);
                    return SubmitOutcome.NotStored;
                default:
                    // Unknown either way: keep the hold rather than risk running a request nobody paid for.
                    return SubmitOutcome.Unknown;
            }
        }
        jobSignal.Notify();
        return SubmitOutcome.Accepted;
    }

    /// <summary>
    /// Runs a /v1 request whose price is held, until it ends, the --sync-timeout deadline passes or the caller goes
    /// away (<paramref name="aborted"/>, which propagates as cancellation). In this process the hold is settled here;
    /// through the queue the worker settles it, and a deadline returns it first (a hold is settled once, so the
    /// worker's later charge changes nothing).
    /// </summary>
    public async Task<RunOutcome> RunNowAsync(NewJob job, SegmentationRequest request, ImageReference image, CancellationToken aborted)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var timeout = new CancellationTokenSource(options.SyncTimeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted, timeout.Token);
        RunOutcome outcome;
        try
        {
            if (syncRunner.ThroughQueue && await SubmitAsync(job) is var submitted and not SubmitOutcome.Accepted)
            {
                return RunOutcome.NotSubmitted(submitted);
            }
            outcome = await syncRunner.RunAsync(job, request, image, deadline.Token).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            await credits.RefundAsync(job.KeyId, job.Id);
            Count("v1", "timeout");
            return RunOutcome.Failed(RequestFailure.Of(FailureKind.DeadlineExceeded,
                $"the request did not finish within the {options.SyncTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s deadline of /v1 (--sync-timeout); " +
                "on a CPU a new image costs about a minute of model time, and requests wait their turn for the model. " +
                "POST /v2/sam3-image has no deadline: it answers at once with a status_url to poll (its status shows the current stage)"));
        }
        catch
        {
            if (!syncRunner.ThroughQueue)
            {
                await credits.RefundAsync(job.KeyId, job.Id);
            }
            Count("v1", "failed");
            throw;
        }
        if (!syncRunner.ThroughQueue)
        {
            await SettleAsync(job.KeyId, job.Id, outcome.Result is not null);
        }
        Count("v1", outcome.Result is not null ? "completed" : "failed");
        return outcome;
    }

    /// <summary>Records a leased job's result as COMPLETED, with its media, and settles it.</summary>
    public Task<FinishOutcome> CompleteAsync(LeasedJob leased, PipelineResult result, IReadOnlyDictionary<string, double> timings)
    {
        ArgumentNullException.ThrowIfNull(leased);
        ArgumentNullException.ThrowIfNull(result);
        var all = new Dictionary<string, double>(result.Metrics);
        foreach (var (name, seconds) in timings)
        {
            all[name] = seconds;
        }
        var outcome = new JobOutcome(
            JsonSerializer.Serialize(result.Rendered.Output, JsonOptions.Web),
            null,
            JsonSerializer.Serialize(all),
            result.Rendered.Media);
        return FinishAsync(leased, outcome);
    }

    /// <summary>Records a leased job's end as FAILED with a typed failure, and returns its hold.</summary>
    public Task<FinishOutcome> FailAsync(LeasedJob leased, RequestFailure failure, IReadOnlyDictionary<string, double> timings)
    {
        ArgumentNullException.ThrowIfNull(leased);
        ArgumentNullException.ThrowIfNull(failure);
        var outcome = new JobOutcome(null, failure.Message, JsonSerializer.Serialize(timings), []) { Failure = failure.Failure };
        return FinishAsync(leased, outcome);
    }

    /// <summary>
    /// Ends a QUEUED or PROCESSING request at once as FAILED "cancelled" (with its webhook message), returns its
    /// hold, and tells the worker running it (in any process) to stop at the next stage boundary.
    /// </summary>
    public async Task<CancelOutcome> CancelAsync(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Status is JobStatus.Completed or JobStatus.Failed)
        {
            return new CancelOutcome(CancelResult.AlreadyEnded, job);
        }
        var elapsed = Math.Max(0, (time.GetUtcNow() - job.CreatedAt).TotalSeconds);
        var outcome = WithWebhook(job, new JobOutcome(null, CancelledError, JsonSerializer.Serialize(new Dictionary<string, double> { [MetricNames.Total] = elapsed }), [])
        {
            Failure = JobFailure.Of(FailureKind.Cancelled),
        });
        if (!await jobs.CancelAsync(job.Id, outcome, Retention, CancellationToken.None))
        {
            // It ended (or expired) between the read and the cancel.
            var now = await jobs.GetAsync(job.Id, CancellationToken.None);
            return new CancelOutcome(now is null ? CancelResult.NotFound : CancelResult.AlreadyEnded, now);
        }
        cancellations.Cancel(job.Id);
        await EndedAsync(job, outcome, "cancelled");
        var ended = await jobs.GetAsync(job.Id, CancellationToken.None)
            ?? job with { Status = JobStatus.Failed, Error = outcome.Error, MetricsJson = outcome.MetricsJson, Failure = outcome.Failure };
        return new CancelOutcome(CancelResult.Cancelled, ended);
    }

    /// <summary>Deletes ended requests whose retention ran out and refreshes the queue gauge; returns how many went.</summary>
    public async Task<int> ExpireAsync(CancellationToken cancellationToken)
    {
        var purged = await jobs.PurgeExpiredAsync(cancellationToken);
        metrics.QueueDepth.Set(await jobs.CountPendingAsync(cancellationToken));
        return purged;
    }

    private async Task<FinishOutcome> FinishAsync(LeasedJob leased, JobOutcome outcome)
    {
        var job = leased.Job;
        // The webhook message is stored by the same step that ends the job, so neither exists without the other.
        outcome = WithWebhook(job, outcome);
        if (!await jobs.FinishAsync(leased, outcome, Retention, CancellationToken.None))
        {
            LogLeaseLost(logger, job.Id);
            return FinishOutcome.LeaseLost;
        }
        await EndedAsync(job, outcome, outcome.Succeeded ? "completed" : "failed");
        LogFinished(logger, job.Id, JobStatusNames.Of(outcome.Succeeded ? JobStatus.Completed : JobStatus.Failed), outcome.Error ?? "");
        return FinishOutcome.Finished;
    }

    private JobOutcome WithWebhook(JobRecord job, JobOutcome outcome) => outcome with { Webhook = WebhookNotices.For(job, outcome, options) };

    /// <summary>What follows a stored end, whoever ended it: the webhook sender woken, the hold settled, the count.</summary>
    private async Task EndedAsync(JobRecord job, JobOutcome outcome, string outcomeLabel)
    {
        if (outcome.Webhook is not null)
        {
            webhookSignal.Notify();
        }
        await SettleAsync(job.KeyId, job.Id, outcome.Succeeded);
        Count("v2", outcomeLabel);
    }

    private Task SettleAsync(string keyId, string requestId, bool delivered) =>
        delivered ? credits.ChargeAsync(keyId, requestId) : credits.RefundAsync(keyId, requestId);

    private void Count(string api, string outcome) => metrics.Jobs.WithLabels(api, outcome).Inc();

    private async Task<bool?> WasStoredAsync(string id)
    {
        var deadline = time.GetUtcNow() + ConfirmFor;
        while (time.GetUtcNow() < deadline)
        {
            try
            {
                return await jobs.GetAsync(id, CancellationToken.None) is not null;
            }
            catch (Exception)
            {
                await Task.Delay(HoldRetry, time);
            }
        }
        return null;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Request {RequestId} finished {Status} {Error}")]
    private static partial void LogFinished(ILogger logger, string requestId, string status, string error);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Lease on request {RequestId} was lost; another worker owns it")]
    private static partial void LogLeaseLost(ILogger logger, string requestId);

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Storing request {RequestId} failed; checking whether it was stored")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, string requestId);
}
