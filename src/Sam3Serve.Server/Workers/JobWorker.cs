using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Server.Auth;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Observability;
using Sam3Serve.Server.Processing;
using Sam3Serve.Server.Requests;
using Sam3Serve.Server.Webhooks;

namespace Sam3Serve.Server.Workers;

/// <summary>
/// Runs v2 jobs: --workers loops, each taking a work slot, leasing the oldest job, renewing the lease
/// while it works, and recording COMPLETED or FAILED. On shutdown the loops stop taking jobs and
/// finish the ones in hand (up to the shutdown timeout); a job cut off is leased again after a restart.
/// </summary>
public sealed partial class JobWorker(
    IJobStore jobs,
    CreditSettlement credits,
    SegmentationPipeline pipeline,
    ISegmentationEngine engine,
    WorkSlots slots,
    JobSignal signal,
    JobCancellations cancellations,
    WebhookSignal webhookSignal,
    ServerOptions options,
    ServerMetrics metrics,
    TimeProvider time,
    ILogger<JobWorker> logger) : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);
    private readonly string _workerId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Wait for the model before taking jobs, so a job is not failed for a model still loading.
        while (!engine.IsReady)
        {
            await Task.Delay(200, stoppingToken);
        }
        await SubscribeCancellationsAsync(stoppingToken);
        var loops = Enumerable.Range(0, options.Workers).Select(i => LoopAsync(i, stoppingToken));
        await Task.WhenAll(loops);
    }

    private async Task LoopAsync(int index, CancellationToken stoppingToken)
    {
        var workerId = $"{_workerId}/{index}";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var slot = await slots.AcquireAsync(stoppingToken);
                var leased = await jobs.LeaseNextAsync(workerId, Lease, stoppingToken);
                if (leased is null)
                {
                    slot.Dispose();
                    await signal.WaitAsync(IdlePoll, stoppingToken);
                    continue;
                }
                await RunAsync(leased);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store itself failed (disk full, locked): keep the loop alive and retry.
                LogLoopFault(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }
    }

    /// <summary>The <c>error</c> of a cancelled request (contract §8).</summary>
    public const string CancelledError = "cancelled";

    private TimeSpan Lease => TimeSpan.FromSeconds(options.LeaseSeconds);

    private async Task SubscribeCancellationsAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await jobs.SubscribeCancellationsAsync(cancellations.Cancel, stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Without notices a cancel still reaches a running job through its failed lease renewal.
                LogLoopFault(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>Processes one leased job to its end. Deliberately not cancelled by shutdown: the work in hand drains.</summary>
    private async Task RunAsync(LeasedJob leased)
    {
        var job = leased.Job;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = job.Id });
        var queueSeconds = ((job.StartedAt ?? time.GetUtcNow()) - job.CreatedAt).TotalSeconds;
        metrics.StageSeconds.WithLabels("queue").Observe(Math.Max(0, queueSeconds));
        using var cancellation = cancellations.Register(job.Id);
        using var renewal = new CancellationTokenSource();
        var renewTask = RenewWhileRunningAsync(leased, cancellation, renewal.Token);
        JobOutcome outcome;
        try
        {
            outcome = job.Attempts > options.MaxAttempts
                ? Failure($"the request was abandoned {job.Attempts - 1} times by workers that stopped while processing it; giving up", 500, queueSeconds, 0)
                : await ProcessAsync(job, queueSeconds, cancellation.Token);
        }
        finally
        {
            await renewal.CancelAsync();
            await renewTask;
        }
        // The webhook message is stored by the same step that ends the job, so neither exists without the other.
        outcome = outcome with { Webhook = WebhookNotices.For(job, outcome, options) };
        var finished = await jobs.FinishAsync(leased, outcome, TimeSpan.FromSeconds(options.Retention), CancellationToken.None);
        if (!finished)
        {
            // Cancelled meanwhile, or taken over after a lost lease: whoever ended it settled it.
            LogLeaseLost(logger, job.Id);
            return;
        }
        if (outcome.Webhook is not null)
        {
            webhookSignal.Notify();
        }
        if (outcome.Succeeded)
        {
            await credits.ChargeAsync(job.KeyId, job.Id);
        }
        else
        {
            await credits.RefundAsync(job.KeyId, job.Id);
        }
        metrics.Jobs.WithLabels("v2", outcome.Succeeded ? "completed" : "failed").Inc();
        LogFinished(logger, job.Id, outcome.Succeeded ? "COMPLETED" : "FAILED", outcome.Error ?? "");
    }

    private async Task<JobOutcome> ProcessAsync(JobRecord job, double queueSeconds, CancellationToken cancelled)
    {
        var clock = Stopwatch.StartNew();
        // Read outside the failure handling below: a store that is briefly unreachable is not the request's
        // fault, so the exception goes to the loop, the lease runs out and the job is taken again.
        var inline = job.ImageUrl is null ? await jobs.GetInputImageAsync(job.Id, CancellationToken.None) : null;
        try
        {
            var request = StoredRequest.Deserialize(job.RequestJson);
            ImageReference image = job.ImageUrl is { } url
                ? new ImageReference.Url(new Uri(url))
                : new ImageReference.Inline(inline ?? throw new ApiException(500, "the stored input image is missing"));
            var result = await pipeline.RunAsync(request, image, cancelled);
            var metricsJson = result.Metrics;
            metricsJson[MetricNames.Queue] = queueSeconds;
            metricsJson[MetricNames.Total] = queueSeconds + clock.Elapsed.TotalSeconds;
            return new JobOutcome(
                JsonSerializer.Serialize(result.Rendered.Output, JsonOptions.Web),
                null,
                JsonSerializer.Serialize(metricsJson),
                result.Rendered.Media);
        }
        catch (ApiException e)
        {
            return Failure(e.Message, e.StatusCode, queueSeconds, clock.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
        {
            // The job was cancelled (or its lease lost): the store already holds its end, so this outcome loses.
            return Failure(CancelledError, 409, queueSeconds, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e)
        {
            LogJobFault(logger, e, job.Id);
            return Failure($"internal error while processing the request ({e.GetType().Name})", 500, queueSeconds, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>
    /// A FAILED outcome. The metrics carry <c>error_code</c>, the HTTP status the failure would have had
    /// on /v1, so an API process answering a /v1 request through the queue can give the right code.
    /// </summary>
    private static JobOutcome Failure(string error, int statusCode, double queueSeconds, double runSeconds) =>
        new(null, error, JsonSerializer.Serialize(new Dictionary<string, double>
        {
            [MetricNames.Queue] = queueSeconds,
            [MetricNames.Total] = queueSeconds + runSeconds,
            [MetricNames.ErrorCode] = statusCode,
        }), []);

    private async Task RenewWhileRunningAsync(LeasedJob leased, JobCancellations.Registration work, CancellationToken cancellationToken)
    {
        var period = Lease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(period, time, cancellationToken);
                if (!await jobs.RenewLeaseAsync(leased, Lease, cancellationToken))
                {
                    // Cancelled, or another worker took the job over: stop working on it.
                    LogLeaseLost(logger, leased.Job.Id);
                    work.Cancel();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job finished.
        }
        catch (Exception e)
        {
            LogLoopFault(logger, e);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Request {RequestId} finished {Status} {Error}")]
    private static partial void LogFinished(ILogger logger, string requestId, string status, string error);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Lease on request {RequestId} was lost; another worker owns it")]
    private static partial void LogLeaseLost(ILogger logger, string requestId);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Unexpected failure processing request {RequestId}")]
    private static partial void LogJobFault(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Job store failure in a worker loop; retrying")]
    private static partial void LogLoopFault(ILogger logger, Exception exception);
}
