using System.Net;

namespace Sam3Serve.Client;

/// <summary>
/// When to try a call again and how long to wait first. Only answers that mean "not taken, try later"
/// (429, 502, 503, 504) are retried, so a v2 submit the server may have accepted is never sent twice;
/// transport errors are retried for reads, and for writes only when no connection was made.
/// </summary>
internal sealed class Sam3RetryPolicy(int maxAttempts, TimeSpan initialDelay, TimeSpan maxDelay, TimeProvider time)
{
    public int MaxAttempts { get; } = Math.Max(1, maxAttempts);

    public TimeProvider Time { get; } = time;

    public static bool IsRetryable(HttpStatusCode code) =>
        code is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    public static bool IsRetryable(HttpRequestException error, bool idempotent) =>
        idempotent || error.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;

    /// <summary>The <c>Retry-After</c> wait, as seconds or an HTTP date; null when absent.</summary>
    public TimeSpan? GetRetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - Time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>
    /// The wait before the next try after <paramref name="failedAttempts"/> failures: the server's
    /// <c>Retry-After</c> when given, else exponential backoff with jitter. Null when the server asks for more
    /// than the longest wait allowed, so the caller gives up at once.
    /// </summary>
    public TimeSpan? NextDelay(int failedAttempts, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked)
        {
            return asked <= maxDelay ? asked : null;
        }
        var exponential = initialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        // Half fixed, half random: spreads clients that failed together without collapsing the wait to zero.
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }
}
