using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Output;

/// <summary>
/// The bodies of a v2 request: what <c>GET .../status</c> and <c>GET /v2/requests/{id}</c>
/// answer, what cancel answers, and what a webhook carries (the latter body at the moment the request ended).
/// </summary>
internal static class RequestBodies
{
    /// <summary>The <c>GET /v2/requests/{id}/status</c> body (no output object).</summary>
    public static JsonObject Status(JobRecord job, string baseUrl) => Describe(job, baseUrl, includeOutput: false);

    /// <summary>The <c>GET /v2/requests/{id}</c> body: with the output object (absolute media URLs) when completed.</summary>
    public static JsonObject Result(JobRecord job, string baseUrl) => Describe(job, baseUrl, includeOutput: true);

    private static JsonObject Describe(JobRecord job, string baseUrl, bool includeOutput)
    {
        var urls = RequestUrls.For(baseUrl, job.Id);
        var metrics = JsonNode.Parse(job.MetricsJson) ?? new JsonObject();
        switch (job.Status)
        {
            case JobStatus.Queued or JobStatus.Processing:
                var pending = new JsonObject
                {
                    ["status"] = JobStatusNames.Of(job.Status),
                    ["request_id"] = job.Id,
                    ["status_url"] = urls.StatusUrl,
                    ["response_url"] = urls.ResponseUrl,
                    ["metrics"] = new JsonObject(),
                };
                if (job.Status == JobStatus.Processing && job.Stage is { } stage)
                {
                    // Where the worker is: "fetching image", "decoding image", "image encoder", "text encoder",
                    // "decoder", "postprocessing", "rendering" (an image pass is a minute on a CPU).
                    pending["stage"] = stage;
                }
                return pending;
            case JobStatus.Failed:
                return new JsonObject
                {
                    ["status"] = JobStatusNames.Failed,
                    ["request_id"] = job.Id,
                    ["error"] = job.Error,
                    ["metrics"] = metrics,
                };
            default:
                var body = new JsonObject
                {
                    ["status"] = JobStatusNames.Completed,
                    ["request_id"] = job.Id,
                    ["metrics"] = metrics,
                };
                if (includeOutput)
                {
                    body["error"] = null;
                    var output = JsonSerializer.Deserialize<OutputObject>(job.OutputJson!, JsonOptions.Web)!;
                    body["output"] = JsonSerializer.SerializeToNode(OutputLinks.Absolute(output, baseUrl, job.Id), JsonOptions.Web);
                }
                return body;
        }
    }
}
