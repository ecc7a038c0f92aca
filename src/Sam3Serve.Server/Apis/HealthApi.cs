using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Apis;

/// <summary>Liveness (the process answers) and readiness (model loaded and store reachable).</summary>
internal static class HealthApi
{
    /// <summary>Maps /health/live and /health/ready.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Json(new JsonObject { ["status"] = "live" }))
            .WithName("Live").WithTags("health").WithSummary("200 while the process runs.");
        app.MapGet("/health/ready", ReadyAsync)
            .WithName("Ready").WithTags("health").WithSummary("200 when the model is loaded and the store reachable; 503 otherwise.");
        return app;
    }

    private static async Task<IResult> ReadyAsync(HttpContext context, IJobStore jobs)
    {
        // An API-only process has no model to wait for.
        var modelLoaded = context.RequestServices.GetService<ISegmentationEngine>()?.IsReady ?? true;
        var storeReachable = await jobs.PingAsync(context.RequestAborted);
        var body = new JsonObject
        {
            ["status"] = modelLoaded && storeReachable ? "ready" : "not ready",
            ["model_loaded"] = modelLoaded,
            ["store_reachable"] = storeReachable,
        };
        if (modelLoaded && storeReachable)
        {
            return Results.Json(body);
        }
        body["error"] = !modelLoaded ? "the model is not loaded yet" : "the job store is not reachable";
        context.Response.Headers.RetryAfter = "5";
        return Results.Json(body, JsonOptions.Web, statusCode: 503);
    }
}
