namespace Sam3Serve.Server.Errors;

/// <summary>
/// An expected failure that maps to one HTTP answer: a status, a human-readable reason and, for
/// validation, the per-field rules that failed. Thrown on the request path, turned into JSON by
/// <see cref="ErrorResponses"/>; never carries a stack trace to the client.
/// </summary>
internal sealed class ApiException : Exception
{
    /// <summary>Creates the failure.</summary>
    public ApiException(int statusCode, string error, IReadOnlyDictionary<string, string[]>? fieldErrors = null, int? retryAfterSeconds = null)
        : base(error)
    {
        StatusCode = statusCode;
        FieldErrors = fieldErrors;
        RetryAfterSeconds = retryAfterSeconds;
    }

    /// <summary>HTTP status code.</summary>
    public int StatusCode { get; }
    /// <summary>Field name → rules it broke.</summary>
    public IReadOnlyDictionary<string, string[]>? FieldErrors { get; }
    /// <summary>Seconds for a Retry-After header (429, 503).</summary>
    public int? RetryAfterSeconds { get; }

    /// <summary>400 for one field.</summary>
    public static ApiException Field(string field, string rule) =>
        new(400, $"{field}: {rule}", new Dictionary<string, string[]> { [field] = [rule] });
}
