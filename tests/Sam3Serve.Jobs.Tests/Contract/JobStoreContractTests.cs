using Sam3Serve.Contracts.Output;
using Sam3Serve.Jobs.Queue;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Contract;

/// <summary>
/// What every job store must do, whatever the backend: run once per implementation by subclassing.
/// </summary>
public abstract partial class JobStoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    protected static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    protected IJobStore Store { get; private set; } = null!;

    /// <summary>A fresh, empty store.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    /// <summary>
    /// Lets <paramref name="span"/> pass on the store's clock: instantly where the store reads a
    /// <c>FakeTimeProvider</c>; by a real wait where its clock is another process's (Redis's TIME).
    /// </summary>
    protected abstract Task PassAsync(TimeSpan span);

    /// <summary>Now, on the store's clock.</summary>
    protected abstract DateTimeOffset StoreNow { get; }

    public async ValueTask InitializeAsync() => Store = await CreateStoreAsync();

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected static NewJob Job(string id, byte[]? image = null) =>
        new(id, "key-1", $$"""{"mode":"concept","id":"{{id}}"}""", image is null ? "http://example.com/a.png" : null, image, 1m);

    [Fact]
    public async Task Enqueue_ThenGet_ReturnsQueuedJobWithItsFields()
    {
        await Store.EnqueueAsync(Job("a", [1, 2, 3]), CancellationToken.None);
        var job = await Store.GetAsync("a", CancellationToken.None);
        Assert.NotNull(job);
        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Equal("key-1", job.KeyId);
        Assert.Equal(1m, job.Price);
        Assert.Contains("\"a\"", job.RequestJson);
        Assert.Null(job.ImageUrl);
        Assert.Equal([1, 2, 3], await Store.GetInputImageAsync("a", CancellationToken.None));
        Assert.Equal(1, await Store.CountPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Get_Unknown_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync("nope", CancellationToken.None));
    }

    [Fact]
    public async Task LeaseNext_TakesOldestFirstAndEachJobOnce()
    {
        await Store.EnqueueAsync(Job("first"), CancellationToken.None);
        await PassAsync(TimeSpan.FromMilliseconds(5));
        await Store.EnqueueAsync(Job("second"), CancellationToken.None);

        var one = await Store.LeaseNextAsync("w1", Lease, CancellationToken.None);
        var two = await Store.LeaseNextAsync("w2", Lease, CancellationToken.None);
        var none = await Store.LeaseNextAsync("w3", Lease, CancellationToken.None);

        Assert.Equal("first", one!.Job.Id);
        Assert.Equal("second", two!.Job.Id);
        Assert.Null(none);
        Assert.Equal(JobStatus.Processing, (await Store.GetAsync("first", CancellationToken.None))!.Status);
        Assert.Equal(1, one.Job.Attempts);
    }

    [Fact]
    public async Task LeaseNext_ConcurrentWorkers_NeverShareAJob()
    {
        for (var i = 0; i < 40; i++)
        {
            await Store.EnqueueAsync(Job($"job-{i}"), CancellationToken.None);
        }
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (await Store.LeaseNextAsync($"w{w}", Lease, CancellationToken.None) is { } leased)
            {
                taken.Add(leased.Job.Id);
            }
        })));
        Assert.Equal(40, taken.Count);
        Assert.Equal(40, taken.Distinct().Count());
    }

    [Fact]
    public async Task LeaseNext_ExpiredLease_IsTakenOverWithAnotherAttempt()
    {
        await Store.EnqueueAsync(Job("stalled"), CancellationToken.None);
        var first = await Store.LeaseNextAsync("dead-worker", TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.Null(await Store.LeaseNextAsync("w2", Lease, CancellationToken.None));

        await PassAsync(TimeSpan.FromMilliseconds(1200));
        var second = await Store.LeaseNextAsync("w2", Lease, CancellationToken.None);

        Assert.Equal("stalled", second!.Job.Id);
        Assert.Equal(2, second.Job.Attempts);
        // The worker that lost its lease can no longer finish the job or renew it.
        Assert.False(await Store.RenewLeaseAsync(first!, Lease, CancellationToken.None));
        Assert.False(await Store.FinishAsync(first!, Completed("stale"), Retention, CancellationToken.None));
        Assert.True(await Store.FinishAsync(second, Completed("fresh"), Retention, CancellationToken.None));
        var done = await Store.GetAsync("stalled", CancellationToken.None);
        Assert.Equal(JobStatus.Completed, done!.Status);
        Assert.Contains("fresh", done.OutputJson);
    }

    [Fact]
    public async Task Finish_Completed_StoresOutputMetricsAndMedia_Once()
    {
        await Store.EnqueueAsync(Job("c"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        Assert.True(await Store.RenewLeaseAsync(leased!, Lease, CancellationToken.None));

        Assert.True(await Store.FinishAsync(leased!, Completed("out"), Retention, CancellationToken.None));
        Assert.False(await Store.FinishAsync(leased!, new JobOutcome(null, "late failure", "{}", []), Retention, CancellationToken.None));

        var job = await Store.GetAsync("c", CancellationToken.None);
        Assert.Equal(JobStatus.Completed, job!.Status);
        Assert.Equal("{\"result\":\"out\"}", job.OutputJson);
        Assert.Equal("{\"inference_time\":0.5}", job.MetricsJson);
        Assert.NotNull(job.FinishedAt);
        Assert.True(job.ExpiresAt > StoreNow.AddMinutes(59));
        Assert.Equal([9, 8, 7], await Store.GetMediaAsync("c", "preview.png", CancellationToken.None));
        Assert.Null(await Store.GetMediaAsync("c", "other.png", CancellationToken.None));
        Assert.Equal(0, await Store.CountPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SetStage_ShowsWhileLeased_OnlyForTheLeaseHolder_AndNotAfterTheEnd()
    {
        await Store.EnqueueAsync(Job("staged"), CancellationToken.None);
        Assert.Null((await Store.GetAsync("staged", CancellationToken.None))!.Stage);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);

        Assert.True(await Store.SetStageAsync(leased!, "image encoder", CancellationToken.None));
        Assert.Equal("image encoder", (await Store.GetAsync("staged", CancellationToken.None))!.Stage);
        Assert.False(await Store.SetStageAsync(leased! with { LeaseToken = "not-the-token" }, "decoder", CancellationToken.None));
        Assert.Equal("image encoder", (await Store.GetAsync("staged", CancellationToken.None))!.Stage);

        Assert.True(await Store.FinishAsync(leased!, Completed("out"), Retention, CancellationToken.None));
        Assert.False(await Store.SetStageAsync(leased!, "rendering", CancellationToken.None));
    }

    [Fact]
    public async Task Finish_Failed_StoresError()
    {
        await Store.EnqueueAsync(Job("f"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        Assert.True(await Store.FinishAsync(leased!, new JobOutcome(null, "image URL answered 404", "{}", []), Retention, CancellationToken.None));
        var job = await Store.GetAsync("f", CancellationToken.None);
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.Equal("image URL answered 404", job.Error);
    }

    [Fact]
    public async Task Finish_TypedFailure_KeepsKindAndStatusOutsideMetrics()
    {
        await Store.EnqueueAsync(Job("typed"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        var outcome = new JobOutcome(null, "image URL answered 503", "{\"total_time\":1.5}", []) { Failure = new JobFailure(FailureKind.ImageUpstream, 502) };
        Assert.True(await Store.FinishAsync(leased!, outcome, Retention, CancellationToken.None));

        var job = await Store.GetAsync("typed", CancellationToken.None);
        Assert.Equal(new JobFailure(FailureKind.ImageUpstream, 502), job!.Failure);
        Assert.Equal("{\"total_time\":1.5}", job.MetricsJson);
    }

    [Fact]
    public async Task Finish_Completed_HasNoFailure()
    {
        await Store.EnqueueAsync(Job("fine"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        Assert.True(await Store.FinishAsync(leased!, Completed("out"), Retention, CancellationToken.None));
        Assert.Null((await Store.GetAsync("fine", CancellationToken.None))!.Failure);
    }

    [Fact]
    public async Task Purge_AfterRetention_RemovesJobAndMedia()
    {
        await Store.EnqueueAsync(Job("old"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        await Store.FinishAsync(leased!, Completed("x"), TimeSpan.FromMilliseconds(300), CancellationToken.None);
        Assert.NotNull(await Store.GetMediaAsync("old", "preview.png", CancellationToken.None));

        await PassAsync(TimeSpan.FromMilliseconds(1100));

        Assert.Null(await Store.GetAsync("old", CancellationToken.None));
        await Store.PurgeExpiredAsync(CancellationToken.None);
        Assert.Null(await Store.GetAsync("old", CancellationToken.None));
        Assert.Null(await Store.GetMediaAsync("old", "preview.png", CancellationToken.None));
    }

    [Fact]
    public async Task Ping_AnswersTrue()
    {
        Assert.True(await Store.PingAsync(CancellationToken.None));
    }

    protected static JobOutcome Completed(string marker) =>
        new($"{{\"result\":\"{marker}\"}}", null, "{\"inference_time\":0.5}", [new MediaFile("preview.png", [9, 8, 7])]);
}
