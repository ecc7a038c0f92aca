namespace Sam3Serve.Server.Output;

/// <summary>The absolute URLs of a v2 request.</summary>
internal sealed record RequestUrls(string PollUrl, string StatusUrl, string ResponseUrl)
{
    /// <summary>The configured public base URL, or the request's own scheme, host and path base.</summary>
    public static string BaseOf(HttpRequest request, string? publicBaseUrl) =>
        (publicBaseUrl ?? $"{request.Scheme}://{request.Host}{request.PathBase}").TrimEnd('/');

    /// <summary>The three URLs of request <paramref name="id"/>.</summary>
    public static RequestUrls For(string baseUrl, string id) => new(
        $"{baseUrl}/v1/requests/{id}",
        $"{baseUrl}/v2/requests/{id}/status",
        $"{baseUrl}/v2/requests/{id}");
}
