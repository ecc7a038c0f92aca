using Microsoft.Extensions.Logging;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Auth;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Processing;

/// <summary>
/// Puts an accepted request in the store, its credits already held. When the store fails mid-call (a
/// Redis restart) the write may or may not have happened: this asks the store again once it answers,
/// keeps the request if it is there (the caller gets its id, no duplicate), and refunds it if not.
/// </summary>
public sealed partial class JobSubmission(IJobStore jobs, CreditSettlement credits, JobSignal signal, ILogger<JobSubmission> logger)
{
    private static readonly TimeSpan ConfirmFor = TimeSpan.FromSeconds(30);

    /// <summary>Stores <paramref name="job"/>; throws a 503 <see cref="ApiException"/> when it is certainly not stored.</summary>
    public async Task EnqueueAsync(NewJob job)
    {
        try
        {
            await jobs.EnqueueAsync(job, CancellationToken.None);
        }
        catch (Exception e) when (e is not ApiException)
        {
            LogEnqueueFailed(logger, e, job.Id);
            switch (await WasStoredAsync(job.Id))
            {
                case true:
                    break;
                case false:
                    await credits.RefundAsync(job.KeyId, job.Id);
                    throw new ApiException(503, "the job store is unavailable; the request was not accepted, retry it", retryAfterSeconds: 2);
                default:
                    // Unknown either way: keep the hold rather than risk running a request nobody paid for.
                    throw new ApiException(503, $"the job store is unavailable; request {job.Id} may or may not have been accepted", retryAfterSeconds: 5);
            }
        }
        signal.Notify();
    }

    private async Task<bool?> WasStoredAsync(string id)
    {
        var deadline = DateTime.UtcNow + ConfirmFor;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                return await jobs.GetAsync(id, CancellationToken.None) is not null;
            }
            catch (Exception)
            {
                await Task.Delay(250);
            }
        }
        return null;
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Storing request {RequestId} failed; checking whether it was stored")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, string requestId);
}
