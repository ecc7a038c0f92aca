using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Auth;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Output;

namespace Sam3Serve.Server.Apis;

/// <summary>Polling a v2 request: status, final body (and its legacy v1 URL), result media.</summary>
public static class RequestsApi
{
    /// <summary>Maps the polling endpoints.</summary>
    public static IEndpointRouteBuilder MapRequestsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/requests/{id}/status", GetStatusAsync)
            .WithName("GetStatus").WithTags("requests").WithSummary("Status of a queued request.")
            .Produces<JsonObject>(200).Produces<JsonObject>(422).Produces<ErrorBody>(404);
        app.MapGet("/v2/requests/{id}", GetResultAsync)
            .WithName("GetResult").WithTags("requests").WithSummary("Final response body of a request (202 while it runs).")
            .Produces<JsonObject>(200).Produces<JsonObject>(202).Produces<JsonObject>(422).Produces<ErrorBody>(404);
        app.MapGet("/v1/requests/{id}", GetResultAsync)
            .WithName("GetResultLegacy").WithTags("requests").WithSummary("Legacy poll URL: the same body as /v2/requests/{id}.");
        app.MapGet("/v2/requests/{id}/media/{name}", GetMediaAsync)
            .WithName("GetMedia").WithTags("requests").WithSummary("A result image (PNG) of a retained request.")
            .Produces(200, contentType: "image/png").Produces<ErrorBody>(404);
        return app;
    }

    private static async Task<IResult> GetStatusAsync(string id, HttpContext context, CallerAuthenticator auth, IJobStore jobs, ServerOptions options)
    {
        var job = await FindOwnedAsync(id, context, auth, jobs);
        var body = Describe(job, context, options, includeOutput: false);
        return Results.Json(body, JsonOptions.Web, statusCode: job.Status == JobStatus.Failed ? 422 : 200);
    }

    private static async Task<IResult> GetResultAsync(string id, HttpContext context, CallerAuthenticator auth, IJobStore jobs, ServerOptions options)
    {
        var job = await FindOwnedAsync(id, context, auth, jobs);
        var body = Describe(job, context, options, includeOutput: true);
        var status = job.Status switch
        {
            JobStatus.Completed => 200,
            JobStatus.Failed => 422,
            _ => 202,
        };
        return Results.Json(body, JsonOptions.Web, statusCode: status);
    }

    private static async Task<IResult> GetMediaAsync(string id, string name, HttpContext context, CallerAuthenticator auth, IJobStore jobs)
    {
        await FindOwnedAsync(id, context, auth, jobs);
        byte[]? bytes;
        try
        {
            bytes = await jobs.GetMediaAsync(id, name, context.RequestAborted);
        }
        catch (ArgumentException)
        {
            bytes = null;
        }
        return bytes is null
            ? ErrorResponses.Result(404, $"request {id} has no media named '{name}'")
            : Results.File(bytes, MediaFile.ContentType);
    }

    /// <summary>The job when it exists, is retained and belongs to the caller; 404 otherwise (another key's id is not revealed).</summary>
    private static async Task<JobRecord> FindOwnedAsync(string id, HttpContext context, CallerAuthenticator auth, IJobStore jobs)
    {
        var caller = await auth.AuthenticateAsync(context, countTowardsRateLimit: false);
        var job = await jobs.GetAsync(id, context.RequestAborted);
        if (job is null || job.KeyId != caller.Id)
        {
            throw new ApiException(404, $"unknown or expired request id '{id}'");
        }
        return job;
    }

    private static JsonObject Describe(JobRecord job, HttpContext context, ServerOptions options, bool includeOutput)
    {
        var baseUrl = RequestUrls.BaseOf(context.Request, options.PublicBaseUrl);
        var urls = RequestUrls.For(baseUrl, job.Id);
        var metrics = JsonNode.Parse(job.MetricsJson) ?? new JsonObject();
        switch (job.Status)
        {
            case JobStatus.Queued or JobStatus.Processing:
                return new JsonObject
                {
                    ["status"] = job.Status == JobStatus.Queued ? "QUEUED" : "PROCESSING",
                    ["request_id"] = job.Id,
                    ["status_url"] = urls.StatusUrl,
                    ["response_url"] = urls.ResponseUrl,
                    ["metrics"] = new JsonObject(),
                };
            case JobStatus.Failed:
                return new JsonObject
                {
                    ["status"] = "FAILED",
                    ["request_id"] = job.Id,
                    ["error"] = job.Error,
                    ["metrics"] = metrics,
                };
            default:
                var body = new JsonObject
                {
                    ["status"] = "COMPLETED",
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
