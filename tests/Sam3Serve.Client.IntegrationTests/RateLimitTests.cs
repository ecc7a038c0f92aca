using System.Net;
using Sam3Serve.Client.IntegrationTests.Infrastructure;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests;

/// <summary>
/// A key limited to one request per minute. The server's window is the clock minute; its clock is shifted so
/// that the minute ends a few seconds after the first request, which keeps a real Retry-After wait short.
/// </summary>
public sealed class RateLimitTests(ShiftedClockService service) : IClassFixture<ShiftedClockService>
{
    private static readonly byte[] ScenePng = Scene.Png();

    private Task<string> OnePerMinuteKeyAsync() => service.CreateKeyAsync($"rpm1-{Guid.NewGuid():N}", null, 1);

    [Fact]
    public async Task RunAsync_OverTheRateLimit_WaitsTheServersRetryAfterThenSucceeds()
    {
        var key = await OnePerMinuteKeyAsync();
        var recorder = new RecordingHandler();
        using var client = service.Client(recorder, key);
        service.Clock.EndMinuteIn(TimeSpan.FromSeconds(4));
        await client.SubmitAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));

        var result = await client.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("blue"));

        Assert.Equal(1, result.Output!.Count);
        var submits = recorder.To("/v2/sam3-image");
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK], submits.Select(s => s.Status));
        var retryAfter = Assert.IsType<TimeSpan>(submits[1].RetryAfter);
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        Assert.True(submits[2].SentAt - submits[1].SentAt >= retryAfter - TimeSpan.FromMilliseconds(50),
            $"retried {submits[2].SentAt - submits[1].SentAt} after a Retry-After of {retryAfter}");
    }

    [Fact]
    public async Task RunSyncAsync_RetryAfterLongerThanMaxRetryDelay_Sam3ApiException429WithRetryAfter()
    {
        var key = await OnePerMinuteKeyAsync();
        var recorder = new RecordingHandler();
        using var client = service.Client(recorder, key, o => o.MaxRetryDelay = TimeSpan.FromSeconds(2));
        service.Clock.EndMinuteIn(TimeSpan.FromSeconds(40));
        await client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red")));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(40));
        Assert.Contains("rate limit", error.Error, StringComparison.OrdinalIgnoreCase);
        // Not retried: the server asked for more than the client is willing to wait.
        Assert.Equal(2, recorder.To("/v1/sam3-image").Count);
        // Reading credits does not count towards the limit: no exception here.
        await client.GetCreditsAsync();
    }
}
