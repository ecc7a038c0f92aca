using System.Net;
using Sam3Serve.Client.Tests.Infrastructure;

namespace Sam3Serve.Client.Tests;

/// <summary>The v2 flow against a fake that follows the contract: submit, poll, result, failure, timeout, cancellation.</summary>
public sealed class AsyncJobTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Sam3Request Request() => Sam3Request.FromUrl("https://example.com/dog.jpg").WithTextPrompt("dog");

    private static Action<Sam3ClientOptions> FastPolling => o => o.PollInterval = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task RunAsync_QueuedProcessingCompleted_ReturnsTypedOutput()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient(FastPolling);

        var result = await client.RunAsync(Request(), Ct);

        var submitted = Assert.Single(fake.RequestsTo("/v2/sam3-image"));
        var statusPolls = fake.Requests.Where(r => r.Path.EndsWith("/status", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, statusPolls.Count);
        Assert.Equal($"/v2/requests/{result.RequestId}/status", statusPolls[0].Path);
        Assert.Equal(Sam3JobState.Completed, result.State);
        Assert.Equal("COMPLETED", result.RawStatus);
        Assert.Equal(0.25, result.Metrics.InferenceTime);
        Assert.Equal(0.5, result.Metrics.QueueTime);
        Assert.Equal(41, result.RemainingCredits);
        Assert.Equal(2, result.RawOutput!.Value.GetProperty("count").GetInt32());

        var output = Assert.IsType<Sam3Output>(result.Output);
        Assert.Equal((4, 3, "concept", 2), (output.Width, output.Height, output.Mode, output.Count));
        Assert.Equal($"{fake.BaseAddress}v2/requests/{result.RequestId}/media/preview.png", output.Preview);
        Assert.Null(output.Overlay);
        Assert.Equal(2, output.Masks.Count);

        var first = output.Masks[0];
        Assert.Equal((0, 0.93, 5L, 0), (first.Index, first.Score, first.Area, first.PromptIndex));
        Assert.Equal(new Sam3Box(1, 0, 4, 3), first.Box);
        Assert.Equal(Sam3MaskDataKind.Rle, first.Mask!.Kind);
        Assert.Equal([0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1], first.Mask.Rle!.Decode());

        var second = output.Masks[1];
        Assert.Equal(1, second.PromptIndex);
        Assert.Equal(Sam3MaskDataKind.Polygons, second.Mask!.Kind);
        Assert.Equal([0, 0, 2, 0, 2, 2, 0, 2], Assert.Single(second.Mask.Polygons!));
        Assert.Equal(FakeSam3Server.Key, submitted.Header("x-api-key"));
    }

    [Fact]
    public async Task SubmitAsync_Accepted_GivesRequestIdAndAbsoluteUrlsBeforeAnyPoll()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();

        var job = await client.SubmitAsync(Request(), Ct);

        Assert.Matches("^[0-9a-f]{32}$", job.RequestId);
        Assert.Equal("QUEUED", job.SubmitStatus);
        Assert.Equal(new Uri(fake.BaseAddress, $"v2/requests/{job.RequestId}/status"), job.StatusUrl);
        Assert.Equal(new Uri(fake.BaseAddress, $"v2/requests/{job.RequestId}"), job.ResponseUrl);
        Assert.Equal(new Uri(fake.BaseAddress, $"v1/requests/{job.RequestId}"), job.PollUrl);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task WaitAsync_WithProgress_ReportsEveryPolledStatus()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();
        var job = await client.SubmitAsync(Request(), Ct);
        var seen = new RecordingProgress();

        var result = await job.WaitAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), seen, Ct);

        Assert.Equal([Sam3JobState.Queued, Sam3JobState.Processing, Sam3JobState.Completed], seen.States);
        Assert.All(seen.Statuses, s => Assert.Equal(job.RequestId, s.RequestId));
        Assert.Equal(job.RequestId, result.RequestId);
    }

    [Fact]
    public async Task GetStatusAndResult_WhilePending_ReturnStateWithoutOutput()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.StatusScript = ["QUEUED", "PROCESSING"];
        using var client = fake.CreateClient();
        var job = await client.SubmitAsync(Request(), Ct);

        var status = await job.GetStatusAsync(Ct);
        var pending = await job.GetResultAsync(Ct);

        Assert.Equal(Sam3JobState.Queued, status.State);
        Assert.False(status.IsTerminal);
        Assert.Equal(Sam3JobState.Queued, pending.State);
        Assert.Null(pending.Output);
        Assert.Equal(job.RequestId, pending.RequestId);
    }

    [Fact]
    public async Task RunAsync_JobFails_ThrowsInferenceFailedWithErrorAndRequestId()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.StatusScript = ["QUEUED", "FAILED"];
        fake.FailureReason = "image URL answered 404";
        using var client = fake.CreateClient(FastPolling);

        var error = await Assert.ThrowsAsync<InferenceFailedException>(() => client.RunAsync(Request(), Ct));

        var statusPath = fake.Requests.Last(r => r.Path.EndsWith("/status", StringComparison.Ordinal)).Path;
        Assert.Equal($"/v2/requests/{error.RequestId}/status", statusPath);
        Assert.Equal("image URL answered 404", error.Error);
        Assert.Contains("image URL answered 404", error.Message);
        Assert.Contains("\"FAILED\"", error.ResponseBody);
        // The failure comes from the status poll; no result fetch is needed.
        Assert.DoesNotContain(fake.Requests, r => r.Path == $"/v2/requests/{error.RequestId}");
    }

    [Fact]
    public async Task GetStatusAsync_Failed422_ReturnsFailedStatusAndResultThrows()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.StatusScript = ["FAILED"];
        using var client = fake.CreateClient();
        var job = await client.SubmitAsync(Request(), Ct);

        var status = await job.GetStatusAsync(Ct);
        var error = await Assert.ThrowsAsync<InferenceFailedException>(() => job.GetResultAsync(Ct));

        Assert.Equal(Sam3JobState.Failed, status.State);
        Assert.Equal(fake.FailureReason, status.Error);
        Assert.Equal(job.RequestId, error.RequestId);
        Assert.Equal(fake.FailureReason, error.Error);
    }

    [Fact]
    public async Task WaitAsync_NeverCompletes_PollsEveryIntervalOnTheClock_ThenThrowsInferenceTimeout()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.StatusScript = ["QUEUED", "PROCESSING"];
        var clock = new WaitingClock();
        using var client = fake.CreateClient(o => o.TimeProvider = clock);
        var job = await client.SubmitAsync(Request(), Ct);

        var waiting = job.WaitAsync(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30), cancellationToken: Ct);
        // Polls at 0, 30, 60 and 90 s each end in a 30 s wait; the poll at 120 s finds the time up.
        for (var wait = 1; wait <= 4; wait++)
        {
            await clock.WaitForTimersAsync(wait);
            Assert.Equal(wait, StatusPolls(fake));
            clock.Advance(TimeSpan.FromSeconds(30));
        }
        var error = await Assert.ThrowsAsync<InferenceTimeoutException>(() => waiting);

        Assert.Equal(job.RequestId, error.RequestId);
        Assert.Equal(TimeSpan.FromMinutes(2), error.Elapsed);
        Assert.Equal(Sam3JobState.Processing, error.LastStatus!.State);
        Assert.Equal(5, StatusPolls(fake));
        Assert.Equal(4, clock.Timers);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_StopsPollingWithOperationCanceled()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.StatusScript = ["QUEUED"];
        var clock = new WaitingClock();
        using var client = fake.CreateClient(o => o.TimeProvider = clock);
        var job = await client.SubmitAsync(Request(), Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var waiting = job.WaitAsync(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30), cancellationToken: cancel.Token);
        await clock.WaitForTimersAsync(1);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, StatusPolls(fake));
    }

    private static int StatusPolls(FakeSam3Server fake) => fake.Requests.Count(r => r.Path.EndsWith("/status", StringComparison.Ordinal));

    [Fact]
    public async Task GetJob_UnknownRequestId_StatusThrowsSam3ApiException404()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.GetJob("nope").GetStatusAsync(Ct));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("unknown or expired request", error.Error);
        Assert.Equal("nope", error.RequestId);
    }

    [Fact]
    public async Task GetJob_KnownRequestId_ResumesWaitingFromTheId()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();
        var id = (await client.SubmitAsync(Request(), Ct)).RequestId;

        var result = await client.GetJob(id).WaitAsync(interval: TimeSpan.FromMilliseconds(20), cancellationToken: Ct);

        Assert.Equal(id, result.RequestId);
        Assert.NotNull(result.Output);
    }

    private sealed class RecordingProgress : IProgress<Sam3JobStatus>
    {
        public List<Sam3JobStatus> Statuses { get; } = [];

        public List<Sam3JobState> States => [.. Statuses.Select(s => s.State)];

        public void Report(Sam3JobStatus value) => Statuses.Add(value);
    }
}
