using System.Globalization;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Auth;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Lifecycle;
using Sam3Serve.Server.Output;
using Sam3Serve.Server.Processing;
using Sam3Serve.Server.Requests;

namespace Sam3Serve.Server.Apis;

/// <summary>The two ways to run a request: POST /v1/{model} (synchronous) and POST /v2/{model} (queued).</summary>
internal static class SegmentationApi
{
    /// <summary>Maps both endpoints.</summary>
    public static IEndpointRouteBuilder MapSegmentationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/{model}", RunSyncAsync)
            .WithName("RunSync").WithTags("sam3-image")
            .WithSummary("Runs a segmentation request and answers with the result (PNG or the output object).")
            .Accepts<SegmentationRequestBody>("application/json", "multipart/form-data")
            .Produces(200, contentType: "image/png").Produces<OutputObject>(200, "application/json")
            .Produces<ErrorBody>(400).Produces<ErrorBody>(401).Produces<ErrorBody>(406).Produces<ErrorBody>(429).Produces<ErrorBody>(504);
        app.MapPost("/v2/{model}", SubmitAsync)
            .WithName("Submit").WithTags("sam3-image")
            .WithSummary("Queues a segmentation request; answers at once with its id and absolute poll URLs.")
            .Accepts<SegmentationRequestBody>("application/json", "multipart/form-data")
            .Produces<SubmitResponse>(200).Produces<ErrorBody>(400).Produces<ErrorBody>(401).Produces<ErrorBody>(406).Produces<ErrorBody>(429);
        return app;
    }

    private static async Task<IResult> RunSyncAsync(
        string model, HttpContext context, CallerAuthenticator auth, RequestLifecycle lifecycle, IJobStore jobs, WorkSlots slots, ServerOptions options)
    {
        CheckModel(model, options);
        var caller = await auth.AuthenticateAsync(context, countTowardsRateLimit: true);
        var (submitted, image) = await ReadSubmissionAsync(context, options);
        if (!lifecycle.CanRunNow)
        {
            throw new ApiException(503, "the model is still loading; retry shortly", retryAfterSeconds: 5);
        }
        await AdmitAsync(jobs, slots, options, context.RequestAborted);
        using var tracked = slots.TrackSync();
        await HoldAsync(context, lifecycle, caller, options.Price);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var outcome = await lifecycle.RunNowAsync(NewJobFor(context, caller, submitted, image, options), submitted.Request, image, context.RequestAborted);
        var result = outcome.Result ?? throw (outcome.Failure is { } failure ? ErrorResponses.FromFailure(failure) : NotSubmitted(outcome.Submit, RequestIds.Of(context)));
        result.Metrics[MetricNames.Total] = started.Elapsed.TotalSeconds;
        context.Response.Headers["x-inference-time"] = result.InferenceSeconds.ToString("0.#########", CultureInfo.InvariantCulture);
        return Respond(context, submitted.Request.Output, result);
    }

    private static NewJob NewJobFor(HttpContext context, ApiKeyRecord caller, SubmittedRequest submitted, ImageReference image, ServerOptions options, Uri? webhook = null) =>
        new(RequestIds.Of(context), caller.Id, StoredRequest.Serialize(submitted.Request),
            (image as ImageReference.Url)?.Value.AbsoluteUri,
            (image as ImageReference.Inline)?.Bytes,
            options.Price)
        {
            Webhook = webhook?.AbsoluteUri,
            BaseUrl = webhook is null ? null : RequestUrls.BaseOf(context.Request, options.PublicBaseUrl),
        };

    private static ApiException NotSubmitted(SubmitOutcome outcome, string id) => outcome == SubmitOutcome.NotStored
        ? new ApiException(503, "the job store is unavailable; the request was not accepted, retry it", retryAfterSeconds: 2)
        : new ApiException(503, $"the job store is unavailable; request {id} may or may not have been accepted", retryAfterSeconds: 5);

    /// <summary>PNG when exactly one image is asked for and the client does not ask for JSON.</summary>
    private static IResult Respond(HttpContext context, OutputOptions output, PipelineResult result)
    {
        var wantsJson = context.Request.Headers.Accept.Any(a => a?.Contains("application/json", StringComparison.OrdinalIgnoreCase) == true);
        var singleImage = output.ReturnPreview ^ output.ReturnOverlay;
        if (singleImage && !wantsJson && !output.ReturnMasks && output.MaskFormat == MaskFormat.Png)
        {
            var name = output.ReturnPreview ? result.Rendered.Output.Preview : result.Rendered.Output.Overlay;
            var file = result.Rendered.Media.First(m => m.Name == name);
            return Results.File(file.Content, MediaFile.ContentType);
        }
        return Results.Json(OutputLinks.Inline(result.Rendered), JsonOptions.Web);
    }

    private static async Task<IResult> SubmitAsync(
        string model, HttpContext context, CallerAuthenticator auth, RequestLifecycle lifecycle, IJobStore jobs,
        WorkSlots slots, ImageFetcher fetcher, ServerOptions options)
    {
        CheckModel(model, options);
        var caller = await auth.AuthenticateAsync(context, countTowardsRateLimit: true);
        var (submitted, image) = await ReadSubmissionAsync(context, options);
        // Image and webhook URLs whose host is itself a refused address or name are malformed on their
        // face; refused now with the 400 /v1 gives, naming the field. Names needing DNS are checked when dialled.
        CheckUrlOnItsFace(fetcher, "image", (image as ImageReference.Url)?.Value, "image URL");
        CheckUrlOnItsFace(fetcher, "webhook", submitted.Webhook, "webhook URL");
        if (image is ImageReference.Inline inline)
        {
            // Refuse what is malformed on its face now, rather than queueing a request bound to fail.
            try
            {
                ImageDecoder.Probe(inline.Bytes, options.MaxImagePixels);
            }
            catch (ImageInputException e)
            {
                throw ErrorResponses.FromImage(e);
            }
        }
        await AdmitAsync(jobs, slots, options, context.RequestAborted);
        await HoldAsync(context, lifecycle, caller, options.Price);
        var id = RequestIds.Of(context);
        if (await lifecycle.SubmitAsync(NewJobFor(context, caller, submitted, image, options, submitted.Webhook)) is var outcome and not SubmitOutcome.Accepted)
        {
            throw NotSubmitted(outcome, id);
        }
        var urls = RequestUrls.For(RequestUrls.BaseOf(context.Request, options.PublicBaseUrl), id);
        return Results.Json(new SubmitResponse(id, JobStatusNames.Queued, urls.PollUrl, urls.StatusUrl, urls.ResponseUrl), JsonOptions.Web);
    }

    private static void CheckUrlOnItsFace(ImageFetcher fetcher, string field, Uri? url, string subject)
    {
        if (url is null)
        {
            return;
        }
        try
        {
            fetcher.Guard.CheckOnItsFace(url, subject);
        }
        catch (ImageInputException e)
        {
            throw new ApiException(400, $"{field}: {e.Message}", new Dictionary<string, string[]> { [field] = [e.Message] });
        }
    }

    private static void CheckModel(string model, ServerOptions options)
    {
        if (!string.Equals(model, options.ModelSlug, StringComparison.Ordinal))
        {
            throw new ApiException(404, $"unknown model '{model}'; this service serves '{options.ModelSlug}'");
        }
    }

    private static async Task<(SubmittedRequest, ImageReference)> ReadSubmissionAsync(HttpContext context, ServerOptions options)
    {
        var (body, upload) = await RequestBodyReader.ReadAsync(context.Request, options.MaxBodyBytes, context.RequestAborted);
        var submitted = RequestValidator.Validate(body, upload, options.MaxTiles);
        try
        {
            ImageReference image = submitted.ImageUpload is { } bytes
                ? new ImageReference.Inline(bytes)
                : ImageFieldReader.Parse(submitted.ImageField!, options.MaxBodyBytes);
            return (submitted, image);
        }
        catch (ImageInputException e)
        {
            throw new ApiException(e.StatusCode, $"image: {e.Message}", new Dictionary<string, string[]> { ["image"] = [e.Message] });
        }
    }

    private static async Task AdmitAsync(IJobStore jobs, WorkSlots slots, ServerOptions options, CancellationToken cancellationToken)
    {
        var pending = await jobs.CountPendingAsync(cancellationToken) + slots.SyncInFlight;
        if (pending >= options.MaxQueue)
        {
            throw new ApiException(429, $"the queue is full ({pending} requests waiting); retry later", retryAfterSeconds: 5);
        }
    }

    /// <summary>Holds the price for this request; 406 when the key has not enough credits.</summary>
    private static async Task HoldAsync(HttpContext context, RequestLifecycle lifecycle, ApiKeyRecord caller, decimal price)
    {
        CallerAuthenticator.MarkBalanceChanged(context);
        var hold = await lifecycle.HoldAsync(caller.Id, RequestIds.Of(context), price);
        if (!hold.Held)
        {
            throw new ApiException(406, $"not enough credits: a request costs {price.ToString(CultureInfo.InvariantCulture)}, the key has {CallerAuthenticator.FormatCredits(hold.Available)} available");
        }
    }
}

/// <summary>The answer to POST /v2/{model}.</summary>
internal sealed record SubmitResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("request_id")] string RequestId,
    [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
    [property: System.Text.Json.Serialization.JsonPropertyName("poll_url")] string PollUrl,
    [property: System.Text.Json.Serialization.JsonPropertyName("status_url")] string StatusUrl,
    [property: System.Text.Json.Serialization.JsonPropertyName("response_url")] string ResponseUrl);
