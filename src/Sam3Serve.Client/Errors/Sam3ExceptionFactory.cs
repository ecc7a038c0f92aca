using System.Text.Json;

namespace Sam3Serve.Client;

/// <summary>Builds every exception the SDK raises about an answer, so each carries the same detail.</summary>
internal static class Sam3ExceptionFactory
{
    /// <summary>A non-2xx answer: a FAILED body (422) becomes <see cref="InferenceFailedException"/>, anything else <see cref="Sam3ApiException"/>.</summary>
    public static Sam3Exception FromResponse(HttpResponseMessage response, string body, TimeSpan? retryAfter, string? knownRequestId)
    {
        var root = TryParse(body);
        if (root is { } r && Sam3JobStatus.ParseState(Sam3WireReader.GetString(r, "status")) == Sam3JobState.Failed)
        {
            return Failed(Sam3WireReader.ReadStatus(r), body, knownRequestId);
        }

        var error = root is { } e ? Sam3WireReader.GetString(e, "error") ?? Sam3WireReader.GetString(e, "detail") ?? Sam3WireReader.GetString(e, "message") : null;
        var requestId = (root is { } q ? Sam3WireReader.GetString(q, "request_id") : null)
            ?? HeaderValue(response, "x-request-id")
            ?? knownRequestId;
        var code = response.StatusCode;
        var message = $"sam3 API answered {(int)code} {response.ReasonPhrase ?? code.ToString()}"
            + $" for {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}"
            + (error is null ? "" : $": {error}")
            + (requestId is null ? "" : $" (request {requestId})");
        return new Sam3ApiException(message, code, error, ReadFieldErrors(root), body, requestId, retryAfter);
    }

    public static InferenceFailedException Failed(Sam3JobStatus status, string body, string? knownRequestId)
    {
        var requestId = status.RequestId.Length > 0 ? status.RequestId : knownRequestId ?? "";
        var message = $"sam3 request {requestId} failed: {status.Error ?? "no reason given"}";
        return new InferenceFailedException(message, requestId, status.Error, status.Metrics, body);
    }

    public static InferenceTimeoutException Timeout(string requestId, TimeSpan elapsed, Sam3JobStatus? lastStatus) =>
        new($"sam3 request {requestId} did not complete within {elapsed.TotalSeconds:F1} s"
            + (lastStatus is null ? "" : $" (last status {lastStatus.RawStatus})")
            + "; it may still finish on the server", requestId, elapsed, lastStatus);

    public static Sam3ApiException Malformed(HttpResponseMessage response, string body, string what) =>
        new($"sam3 API answered {(int)response.StatusCode} for {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} but {what}",
            response.StatusCode, null, new Dictionary<string, IReadOnlyList<string>>(), body, HeaderValue(response, "x-request-id"), null);

    private static JsonElement? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Dictionary<string, IReadOnlyList<string>> ReadFieldErrors(JsonElement? root)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (root is not { } r || !r.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Object)
        {
            return result;
        }
        foreach (var field in errors.EnumerateObject())
        {
            result[field.Name] = field.Value.ValueKind switch
            {
                JsonValueKind.Array => [.. field.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : m.GetRawText())],
                JsonValueKind.String => [field.Value.GetString()!],
                _ => [field.Value.GetRawText()],
            };
        }
        return result;
    }

    internal static string? HeaderValue(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
