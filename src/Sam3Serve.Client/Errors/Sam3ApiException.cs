using System.Net;

namespace Sam3Serve.Client;

/// <summary>
/// A non-2xx answer other than a failed inference: bad request (400), key (401/403), unknown model or request (404),
/// credits (406), size (413), rate limit or full queue (429), server faults (5xx).
/// </summary>
public sealed class Sam3ApiException : Sam3Exception
{
    internal Sam3ApiException(
        string message,
        HttpStatusCode statusCode,
        string? error,
        IReadOnlyDictionary<string, IReadOnlyList<string>> errors,
        string responseBody,
        string? requestId,
        TimeSpan? retryAfter)
        : base(message)
    {
        StatusCode = statusCode;
        Error = error;
        Errors = errors;
        ResponseBody = responseBody;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status code.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The body's <c>error</c>: the server's human-readable reason (Segmind's SDK calls it <c>detail</c>).</summary>
    public string? Error { get; }

    /// <summary>The body's <c>errors</c>: messages per field name (e.g. <c>boxes_input</c>), when the server sent them.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors { get; }

    /// <summary>The raw response body, as text.</summary>
    public string ResponseBody { get; }

    /// <inheritdoc />
    public override string? RequestId { get; }

    /// <summary>The <c>Retry-After</c> wait the server asked for (429, 503), when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }
}
