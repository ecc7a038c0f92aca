using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>Passes every exchange through and records what went out and what came back, with timestamps.</summary>
public sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public sealed record Exchange(HttpMethod Method, string Path, HttpStatusCode Status, TimeSpan? RetryAfter, TimeSpan SentAt);

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ConcurrentQueue<Exchange> Exchanges { get; } = new();

    /// <summary>The exchanges whose path ends with <paramref name="suffix"/>, in order.</summary>
    public IReadOnlyList<Exchange> To(string suffix) => [.. Exchanges.Where(e => e.Path.EndsWith(suffix, StringComparison.Ordinal))];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var sentAt = _clock.Elapsed;
        var response = await base.SendAsync(request, cancellationToken);
        Exchanges.Enqueue(new Exchange(request.Method, request.RequestUri!.AbsolutePath, response.StatusCode, response.Headers.RetryAfter?.Delta, sentAt));
        return response;
    }
}
