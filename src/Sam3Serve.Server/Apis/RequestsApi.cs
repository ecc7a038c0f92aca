using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Auth;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Lifecycle;
using Sam3Serve.Server.Output;

namespace Sam3Serve.Server.Apis;

/// <summary>Polling a v2 request: status, final body (and its legacy v1 URL), result media.</summary>
internal static class RequestsApi
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
        app.MapPost("/v2/requests/{id}/cancel", CancelAsync)
            .WithName("Cancel").WithTags("requests").WithSummary("Cancels a queued or running request; it ends FAILED with error \"cancelled\" and is not charged.")
            .Produces<JsonObject>(200).Produces<ErrorBody>(404).Produces<ErrorBody>(409);
        app.MapGet("/v2/requests/{id}/media/{name}", GetMediaAsync)
            .WithName("GetMedia").WithTags("requests").WithSummary("A result image (PNG) of a retained request.")
            .Produces(200, contentType: "image/png").Produces<ErrorBody>(404);
        return app;
    }

    private static async Task<IResult> GetStatusAsync(string id, HttpContext context, CallerAuthenticator auth, IJobStore jobs, ServerOptions options)
    {
        var job = await FindOwnedAsync(id, context, auth, jobs);
        var body = RequestBodies.Status(job, RequestUrls.BaseOf(context.Request, options.PublicBaseUrl));
        return Results.Json(body, JsonOptions.Web, statusCode: job.Status == JobStatus.Failed ? 422 : 200);
    }

    private static async Task<IResult> GetResultAsync(string id, HttpContext context, CallerAuthenticator auth, IJobStore jobs, ServerOptions options)
    {
        var job = await FindOwnedAsync(id, context, auth, jobs);
        var body = RequestBodies.Result(job, RequestUrls.BaseOf(context.Request, options.PublicBaseUrl));
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

    /// <summary>
    /// Ends a QUEUED or PROCESSING request at once as FAILED "cancelled" (not charged); 409 when it has already ended.
    /// </summary>
    private static async Task<IResult> CancelAsync(
        string id, HttpContext context, CallerAuthenticator auth, IJobStore jobs, RequestLifecycle lifecycle, ServerOptions options)
    {
        var job = await FindOwnedAsync(id, context, auth, jobs);
        var outcome = await lifecycle.CancelAsync(job);
        switch (outcome.Result)
        {
            case CancelResult.NotFound:
                throw new ApiException(404, $"unknown or expired request id '{id}'");
            case CancelResult.AlreadyEnded:
                throw new ApiException(409, $"request {id} has already ended {JobStatusNames.Of(outcome.Job!.Status)}; it can no longer be cancelled");
        }
        CallerAuthenticator.MarkBalanceChanged(context);
        return Results.Json(RequestBodies.Status(outcome.Job!, RequestUrls.BaseOf(context.Request, options.PublicBaseUrl)), JsonOptions.Web);
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
}
