using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Webhooks;
using Sam3Serve.Server.Output;

namespace Sam3Serve.Server.Webhooks;

/// <summary>Builds the webhook message of a request that is ending, to be stored with its final state.</summary>
internal static class WebhookNotices
{
    /// <summary>
    /// The message for <paramref name="job"/> ending with <paramref name="outcome"/>, or null when it has no
    /// webhook. The body is what <c>GET /v2/requests/{id}</c> answers once the outcome is stored; the id is the
    /// request id plus a fresh event id, fixed here so every retry carries the same <c>webhook-id</c>.
    /// </summary>
    public static WebhookMessage? For(JobRecord job, JobOutcome outcome, ServerOptions options)
    {
        if (job.Webhook is not { } url)
        {
            return null;
        }
        var ended = job with
        {
            Status = outcome.Succeeded ? JobStatus.Completed : JobStatus.Failed,
            OutputJson = outcome.OutputJson,
            Error = outcome.Error,
            MetricsJson = outcome.MetricsJson,
        };
        var baseUrl = job.BaseUrl ?? options.PublicBaseUrl?.TrimEnd('/') ?? "";
        var body = RequestBodies.Result(ended, baseUrl).ToJsonString(Errors.JsonOptions.Web);
        return new WebhookMessage($"{job.Id}_{Guid.NewGuid():N}"[..(job.Id.Length + 17)], url, body);
    }
}
