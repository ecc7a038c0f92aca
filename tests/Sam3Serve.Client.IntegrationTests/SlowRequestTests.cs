using System.Net;
using Sam3Serve.Client.IntegrationTests.Infrastructure;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests;

/// <summary>
/// Waiting on requests the engine holds on purpose (one worker, room for one request): wait timeouts,
/// cancellation, and the queue-full 429 with Retry-After that the SDK waits out and retries.
/// </summary>
public sealed class SlowRequestTests(OneSlotService service) : IClassFixture<OneSlotService>, IAsyncLifetime
{
    private static readonly byte[] ScenePng = Scene.Png();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    // The next test starts with an idle engine and an empty queue.
    public async ValueTask DisposeAsync()
    {
        service.Engine.Delay = TimeSpan.Zero;
        using var client = service.Client(configure: o => o.MaxAttempts = 1);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));
                return;
            }
            catch (Sam3ApiException e) when (e.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(100);
            }
        }
    }

    private static Sam3Request Red() => Sam3Request.FromBytes(ScenePng).WithTextPrompt("red");

    [Fact]
    public async Task WaitAsync_ShortTimeout_InferenceTimeoutException_AndTheRequestStillCompletes()
    {
        service.Engine.Delay = TimeSpan.FromSeconds(3);
        using var client = service.Client();
        var job = await client.SubmitAsync(Red());

        var error = await Assert.ThrowsAsync<InferenceTimeoutException>(() => job.WaitAsync(TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(100)));

        Assert.Equal(job.RequestId, error.RequestId);
        Assert.InRange(error.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(2.5));
        Assert.NotNull(error.LastStatus);
        Assert.Contains(error.LastStatus.State, new[] { Sam3JobState.Queued, Sam3JobState.Processing });
        var done = await client.GetJob(error.RequestId).WaitAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, done.Output!.Count);
    }

    [Fact]
    public async Task RunAsync_WaitTimeoutOption_InferenceTimeoutException()
    {
        service.Engine.Delay = TimeSpan.FromSeconds(3);
        using var client = service.Client(configure: o => o.WaitTimeout = TimeSpan.FromMilliseconds(500));

        var error = await Assert.ThrowsAsync<InferenceTimeoutException>(() => client.RunAsync(Red()));

        Assert.False(string.IsNullOrEmpty(error.RequestId));
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaiting_OperationCanceledException()
    {
        service.Engine.Delay = TimeSpan.FromSeconds(3);
        var recorder = new RecordingHandler();
        using var client = service.Client(recorder);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.RunAsync(Red(), cancel.Token));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2.5), "the cancellation did not stop the wait promptly");
        // It was cancelled while polling the queued request, not before submitting it.
        Assert.Equal(HttpStatusCode.OK, Assert.Single(recorder.To("/v2/sam3-image")).Status);
        Assert.NotEmpty(recorder.To("/status"));
    }

    [Fact]
    public async Task RunAsync_QueueFull_WaitsTheServersRetryAfterAndRetries()
    {
        service.Engine.Delay = TimeSpan.FromSeconds(2);
        using var filler = service.Client();
        var first = await filler.SubmitAsync(Red());
        var recorder = new RecordingHandler();
        using var client = service.Client(recorder);

        var result = await client.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("green"));

        Assert.Equal(1, result.Output!.Count);
        var submits = recorder.To("/v2/sam3-image");
        Assert.Equal(2, submits.Count);
        Assert.Equal(HttpStatusCode.TooManyRequests, submits[0].Status);
        var retryAfter = Assert.IsType<TimeSpan>(submits[0].RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), retryAfter);
        Assert.Equal(HttpStatusCode.OK, submits[1].Status);
        Assert.True(submits[1].SentAt - submits[0].SentAt >= retryAfter - TimeSpan.FromMilliseconds(50),
            $"retried {submits[1].SentAt - submits[0].SentAt} after a Retry-After of {retryAfter}");
        Assert.Equal(Sam3JobState.Completed, (await filler.GetJob(first.RequestId).GetStatusAsync()).State);
    }

    [Fact]
    public async Task SubmitAsync_QueueFullAndRetryAfterBeyondMaxRetryDelay_Sam3ApiException429WithRetryAfter()
    {
        service.Engine.Delay = TimeSpan.FromSeconds(2);
        using var filler = service.Client();
        await filler.SubmitAsync(Red());
        var recorder = new RecordingHandler();
        using var client = service.Client(recorder, configure: o => o.MaxRetryDelay = TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.SubmitAsync(Red()));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
        Assert.Contains("queue", error.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Single(recorder.To("/v2/sam3-image"));
    }

    [Fact]
    public async Task RunSyncAsync_QueueFullWithRetriesOff_Sam3ApiException429()
    {
        service.Engine.Delay = TimeSpan.FromSeconds(2);
        using var filler = service.Client();
        await filler.SubmitAsync(Red());
        using var client = service.Client(configure: o => o.MaxAttempts = 1);

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunSyncAsync(Red()));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
    }
}
