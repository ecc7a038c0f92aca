using System.Diagnostics;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Lifecycle;
using Sam3Serve.Server.Observability;
using Sam3Serve.Server.Processing;
using Sam3Serve.Server.Requests;

namespace Sam3Serve.Server.Workers;

/// <summary>
/// Runs v2 jobs: --workers loops, each taking a work slot, leasing the oldest job, renewing the lease
/// while it works, and recording COMPLETED or FAILED. On shutdown the loops stop taking jobs and
/// finish the ones in hand (up to the shutdown timeout); a job cut off is leased again after a restart.
/// </summary>
internal sealed partial class JobWorker(
    IJobStore jobs,
    RequestLifecycle lifecycle,
    SegmentationPipeline pipeline,
    ISegmentationEngine engine,
    WorkSlots slots,
    JobSignal signal,
    JobCancellations cancellations,
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

    private TimeSpan Lease => options.Lease;

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
        var stages = new JobStageReporter(jobs, leased);
        var clock = Stopwatch.StartNew();
        PipelineResult? result = null;
        RequestFailure? failure;
        try
        {
            if (job.Attempts > options.MaxAttempts)
            {
                failure = RequestFailure.Of(FailureKind.Abandoned,
                    $"the request was abandoned {job.Attempts - 1} times by workers that stopped while processing it; giving up");
            }
            else
            {
                (result, failure) = await ProcessAsync(job, stages, cancellation.Token);
            }
        }
        finally
        {
            await renewal.CancelAsync();
            await renewTask;
            await stages.FlushAsync();
        }
        var timings = new Dictionary<string, double>
        {
            [MetricNames.Queue] = queueSeconds,
            [MetricNames.Total] = queueSeconds + clock.Elapsed.TotalSeconds,
        };
        // A lost lease (cancelled meanwhile, or taken over) changes nothing: whoever ended the job settled it.
        _ = result is not null
            ? await lifecycle.CompleteAsync(leased, result, timings)
            : await lifecycle.FailAsync(leased, failure!, timings);
    }

    private async Task<(PipelineResult?, RequestFailure?)> ProcessAsync(JobRecord job, IProgress<string> stages, CancellationToken cancelled)
    {
        // Read outside the failure handling below: a store that is briefly unreachable is not the request's
        // fault, so the exception goes to the loop, the lease runs out and the job is taken again.
        var inline = job.ImageUrl is null ? await jobs.GetInputImageAsync(job.Id, CancellationToken.None) : null;
        try
        {
            if (job.ImageUrl is null && inline is null)
            {
                return (null, RequestFailure.Of(FailureKind.Internal, "the stored input image is missing"));
            }
            var request = StoredRequest.Deserialize(job.RequestJson);
            ImageReference image = job.ImageUrl is { } url ? new ImageReference.Url(new Uri(url)) : new ImageReference.Inline(inline!);
            // The model runs off this loop's thread, so the loops keep leasing and renewing while it works.
            return (await Task.Run(() => pipeline.RunAsync(request, image, cancelled, stages), CancellationToken.None), null);
        }
        catch (PipelineFailureException e)
        {
            return (null, e.Failure);
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
        {
            // The job was cancelled (or its lease lost): the store already holds its end, so this outcome loses.
            return (null, RequestFailure.Of(FailureKind.Cancelled, RequestLifecycle.CancelledError));
        }
        catch (Exception e)
        {
            LogJobFault(logger, e, job.Id);
            return (null, RequestFailure.Of(FailureKind.Internal, $"internal error while processing the request ({e.GetType().Name})"));
        }
    }

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

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Lease on request {RequestId} was lost; another worker owns it")]
    private static partial void LogLeaseLost(ILogger logger, string requestId);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Unexpected failure processing request {RequestId}")]
    private static partial void LogJobFault(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Job store failure in a worker loop; retrying")]
    private static partial void LogLoopFault(ILogger logger, Exception exception);
}
