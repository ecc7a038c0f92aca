using Sam3Serve.Jobs;

namespace Sam3Serve.Server.Errors;

/// <summary>
/// Outermost middleware: gives each request its id and log scope, refuses work while shutting down
/// (503), and turns every failure into the contract's JSON error — a 500 never leaks a stack trace.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger, IHostApplicationLifetime lifetime, IStoreFaults storeFaults)
{
    /// <summary>Runs the pipeline.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var requestId = RequestIds.New();
        context.Items[RequestIds.ItemKey] = requestId;
        context.Response.Headers["x-request-id"] = requestId;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = requestId });
        if (lifetime.ApplicationStopping.IsCancellationRequested && !context.Request.Path.StartsWithSegments("/health"))
        {
            await ErrorResponses.WriteAsync(context, new ApiException(503, "the service is shutting down", retryAfterSeconds: 5));
            return;
        }
        try
        {
            await next(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await ErrorResponses.WriteAsync(context, e);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var message = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "request body is larger than the configured limit"
                : $"bad request: {e.Message}";
            await ErrorResponses.WriteAsync(context, new ApiException(e.StatusCode, message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted && storeFaults.IsUnavailable(e))
        {
            // The shared store is restarting or cut off (found by the fault suite's kill -9 of Redis): that is
            // the service being briefly unavailable, not a bug, and the client should simply retry.
            LogStoreUnreachable(logger, context.Request.Method, context.Request.Path, e.Message);
            await ErrorResponses.WriteAsync(context, new ApiException(503, "the request store is unreachable for the moment; retry shortly", retryAfterSeconds: 2));
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogUnexpected(logger, e, context.Request.Method, context.Request.Path);
            await ErrorResponses.WriteAsync(context, new ApiException(500, $"internal error; quote request id {requestId} when reporting it"));
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Store unreachable on {Method} {Path}; answered 503: {Reason}")]
    private static partial void LogStoreUnreachable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unexpected failure on {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
