using System.Globalization;
using System.Text.Json;

namespace Sam3Serve.Client;

public sealed partial class Sam3Client
{
    /// <summary>
    /// Submits <paramref name="request"/> to <c>POST /v2/{model}</c> and waits for it (polling every
    /// <see cref="Sam3ClientOptions.PollInterval"/>, at most <see cref="Sam3ClientOptions.WaitTimeout"/>).
    /// The images of the output are media URLs; read them with <see cref="GetMediaAsync(string, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="InferenceFailedException">The request ended FAILED.</exception>
    /// <exception cref="InferenceTimeoutException">The wait ran out first.</exception>
    /// <exception cref="Sam3ApiException">The server refused the request or a poll.</exception>
    public async Task<Sam3Result> RunAsync(Sam3Request request, CancellationToken cancellationToken = default)
    {
        var job = await SubmitAsync(request, cancellationToken).ConfigureAwait(false);
        return await job.WaitAsync(_waitTimeout, _pollInterval, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="request"/> with <c>POST /v1/{model}</c> and returns what the server answered: the image
    /// bytes when exactly one image was asked for (the default preview), else the output object with inline data URIs.
    /// </summary>
    /// <exception cref="Sam3ApiException">The server answered with an error.</exception>
    public async Task<Sam3SyncResponse> RunSyncAsync(Sam3Request request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await Sam3RequestWriter.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        var url = Resolve($"v1/{Model}");
        using var response = await SendAsync(() => CreateRequest(HttpMethod.Post, url, body, acceptJson: false), idempotent: false, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, null, cancellationToken).ConfigureAwait(false);
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        var requestId = Sam3ExceptionFactory.HeaderValue(response, "x-request-id");
        var inferenceTime = HeaderNumber(response, "x-inference-time");
        var credits = HeaderNumber(response, "x-remaining-credits");
        if (IsJson(mediaType))
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            using var doc = ParseJson(response, text);
            // Segmind-style wrappers put the object under "output"; this server sends it bare.
            var root = doc.RootElement.TryGetProperty("output", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object ? wrapped : doc.RootElement;
            return new Sam3SyncResponse
            {
                Output = Sam3WireReader.ReadOutput(root),
                ContentType = mediaType,
                RequestId = requestId ?? Sam3WireReader.GetString(doc.RootElement, "request_id"),
                InferenceTime = inferenceTime,
                RemainingCredits = credits,
            };
        }

        return new Sam3SyncResponse
        {
            Image = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false),
            ContentType = mediaType,
            RequestId = requestId,
            InferenceTime = inferenceTime,
            RemainingCredits = credits,
        };
    }

    /// <summary>
    /// Queues <paramref name="request"/> with <c>POST /v2/{model}</c> and returns at once with its id and URLs.
    /// Only 429, 502, 503 and 504 answers are retried, so an accepted request is never submitted twice.
    /// </summary>
    /// <exception cref="Sam3ApiException">The server refused the request (e.g. 400 for a malformed one).</exception>
    public async Task<Sam3Job> SubmitAsync(Sam3Request request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await Sam3RequestWriter.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        var url = Resolve($"v2/{Model}");
        using var response = await SendAsync(() => CreateRequest(HttpMethod.Post, url, body, acceptJson: true), idempotent: false, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, null, cancellationToken).ConfigureAwait(false);
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var doc = ParseJson(response, text);
        var root = doc.RootElement;
        var requestId = Sam3WireReader.GetString(root, "request_id");
        if (string.IsNullOrEmpty(requestId))
        {
            throw Sam3ExceptionFactory.Malformed(response, text, "the body has no request_id");
        }
        var job = new Sam3Job(
            this,
            requestId,
            Sam3WireReader.GetString(root, "status") ?? "QUEUED",
            ServerUrl(root, "poll_url") ?? Resolve($"v1/requests/{Uri.EscapeDataString(requestId)}"),
            ServerUrl(root, "status_url") ?? Resolve($"v2/requests/{Uri.EscapeDataString(requestId)}/status"),
            ServerUrl(root, "response_url") ?? Resolve($"v2/requests/{Uri.EscapeDataString(requestId)}"));
        Trust(job.StatusUrl);
        Trust(job.ResponseUrl);
        return job;
    }

    /// <summary>A handle on a v2 request submitted earlier (by id), to poll it or fetch its result.</summary>
    public Sam3Job GetJob(string requestId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var id = Uri.EscapeDataString(requestId);
        return new Sam3Job(this, requestId, "", Resolve($"v1/requests/{id}"), Resolve($"v2/requests/{id}/status"), Resolve($"v2/requests/{id}"));
    }

    /// <summary>
    /// Cancels the v2 request <paramref name="requestId"/> with <c>POST /v2/requests/{id}/cancel</c> (Sam3Serve
    /// extension): a queued request ends at once, a running one at the model's next stage boundary; either ends
    /// FAILED with error <c>"cancelled"</c> and is not charged. Returns the status the server answered.
    /// </summary>
    /// <exception cref="Sam3ApiException">404 for an unknown or expired id (or another key's), 409 when the request had already ended.</exception>
    public Task<Sam3JobStatus> CancelAsync(string requestId, CancellationToken cancellationToken = default) =>
        CancelAsync(GetJob(requestId), cancellationToken);

    /// <summary>The calling key's balance, from <c>GET /v1/get-user-credits</c>.</summary>
    /// <exception cref="Sam3ApiException">The server answered with an error (e.g. 401 for an unknown key).</exception>
    public async Task<Sam3Credits> GetCreditsAsync(CancellationToken cancellationToken = default)
    {
        var url = Resolve("v1/get-user-credits");
        using var response = await SendAsync(() => CreateRequest(HttpMethod.Get, url, null, acceptJson: true), idempotent: true, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, null, cancellationToken).ConfigureAwait(false);
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var doc = ParseJson(response, text);
        return Sam3WireReader.ReadCredits(doc.RootElement);
    }

    /// <summary>
    /// The bytes of an image field of the output (<c>preview</c>, <c>overlay</c>, a PNG mask): a data URI is decoded
    /// here; a URL is downloaded, with the key only when it points at the API's own host or a host the API named
    /// in a v2 answer, so the key never leaks to a third party.
    /// </summary>
    /// <exception cref="FormatException">The reference is neither a data URI nor an absolute http(s) URL.</exception>
    /// <exception cref="Sam3ApiException">The download answered with an error (e.g. 404 once the request expired).</exception>
    public async Task<byte[]> GetMediaAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (Sam3DataUri.IsDataUri(reference))
        {
            return Sam3DataUri.Parse(reference).Data;
        }
        if (!Uri.TryCreate(reference, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"'{reference}' is neither a data URI nor an absolute http(s) URL");
        }
        var sendKey = IsTrusted(url);
        using var response = await SendAsync(() => CreateRequest(HttpMethod.Get, url, null, acceptJson: false, sendKey), idempotent: true, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, null, cancellationToken).ConfigureAwait(false);
        }
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    internal async Task<Sam3JobStatus> GetStatusAsync(Sam3Job job, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => CreateRequest(HttpMethod.Get, job.StatusUrl, null, acceptJson: true), idempotent: true, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        // FAILED comes back as 422 with a status body: that is an answer about the job, not a failed call.
        if (TryParseObject(text) is { } doc)
        {
            using (doc)
            {
                var status = Sam3WireReader.ReadStatus(doc.RootElement, text);
                if (response.IsSuccessStatusCode || status.IsTerminal)
                {
                    return status.RequestId.Length > 0 ? status : CopyWithId(status, job.RequestId);
                }
            }
        }
        if (response.IsSuccessStatusCode)
        {
            throw Sam3ExceptionFactory.Malformed(response, text, "the body is not a JSON object");
        }
        throw Sam3ExceptionFactory.FromResponse(response, text, _retry.GetRetryAfter(response), job.RequestId);
    }

    internal async Task<Sam3JobStatus> CancelAsync(Sam3Job job, CancellationToken cancellationToken)
    {
        // Next to the response URL, so a job whose server named a public base URL is cancelled there.
        var url = new Uri(job.ResponseUrl.AbsoluteUri.TrimEnd('/') + "/cancel");
        // Not idempotent: had a lost answer been a success, a repeat would read 409 "already ended".
        using var response = await SendAsync(() => CreateRequest(HttpMethod.Post, url, null, acceptJson: true, IsTrusted(url)), idempotent: false, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Sam3ExceptionFactory.FromResponse(response, text, _retry.GetRetryAfter(response), job.RequestId);
        }
        using var doc = ParseJson(response, text);
        var status = Sam3WireReader.ReadStatus(doc.RootElement, text);
        return status.RequestId.Length > 0 ? status : CopyWithId(status, job.RequestId);
    }

    internal async Task<Sam3Result> GetResultAsync(Sam3Job job, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => CreateRequest(HttpMethod.Get, job.ResponseUrl, null, acceptJson: true), idempotent: true, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Sam3ExceptionFactory.FromResponse(response, text, _retry.GetRetryAfter(response), job.RequestId);
        }
        using var doc = ParseJson(response, text);
        var result = Sam3WireReader.ReadResult(doc.RootElement, HeaderNumber(response, "x-remaining-credits"));
        if (result.State == Sam3JobState.Failed)
        {
            throw Sam3ExceptionFactory.Failed(Sam3WireReader.ReadStatus(doc.RootElement, text), text, job.RequestId);
        }
        return result.RequestId.Length > 0 ? result : new Sam3Result
        {
            State = result.State,
            RawStatus = result.RawStatus,
            RequestId = job.RequestId,
            Metrics = result.Metrics,
            Output = result.Output,
            RawOutput = result.RawOutput,
            RemainingCredits = result.RemainingCredits,
        };
    }

    internal async Task<Sam3Result> WaitAsync(Sam3Job job, TimeSpan timeout, TimeSpan interval, IProgress<Sam3JobStatus>? progress, CancellationToken cancellationToken)
    {
        var time = _retry.Time;
        var started = time.GetTimestamp();
        while (true)
        {
            var status = await GetStatusAsync(job, cancellationToken).ConfigureAwait(false);
            progress?.Report(status);
            switch (status.State)
            {
                case Sam3JobState.Completed:
                    return await GetResultAsync(job, cancellationToken).ConfigureAwait(false);
                case Sam3JobState.Failed:
                    throw Sam3ExceptionFactory.Failed(status, status.RawBody, job.RequestId);
            }

            var elapsed = time.GetElapsedTime(started);
            if (elapsed >= timeout)
            {
                throw Sam3ExceptionFactory.Timeout(job.RequestId, elapsed, status);
            }
            var remaining = timeout - elapsed;
            await Task.Delay(remaining < interval ? remaining : interval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private Uri? ServerUrl(JsonElement root, string name) =>
        Sam3WireReader.GetString(root, name) is { } text && Uri.TryCreate(BaseAddress, text, out var url) ? url : null;

    private static Sam3JobStatus CopyWithId(Sam3JobStatus status, string requestId) => new()
    {
        State = status.State,
        RawStatus = status.RawStatus,
        RequestId = requestId,
        Error = status.Error,
        Metrics = status.Metrics,
        RawBody = status.RawBody,
    };

    private static bool IsJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    private static double? HeaderNumber(HttpResponseMessage response, string name) =>
        Sam3ExceptionFactory.HeaderValue(response, name) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static JsonDocument ParseJson(HttpResponseMessage response, string text) =>
        TryParseObject(text) ?? throw Sam3ExceptionFactory.Malformed(response, text, "the body is not a JSON object");

    private static JsonDocument? TryParseObject(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return doc;
            }
            doc.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
