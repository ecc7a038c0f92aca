using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Redis;
using Sam3Serve.Jobs.Tests.Contract;
using Sam3Serve.Tests.Common;
using StackExchange.Redis;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Redis;

/// <summary>The job store contract on Redis, plus what only a shared, multi-process store must do.</summary>
public sealed class RedisJobStoreTests : JobStoreContractTests
{
    private RedisTestScope? _scope;

    private RedisTestScope Scope => _scope!;
    private RedisOptions Options => Scope.Options;

    protected override async Task<IJobStore> CreateStoreAsync()
    {
        _scope = await RedisTestScope.StartOrSkipAsync();
        return new RedisJobStore(Scope.Redis, Options);
    }

    // The store reads the Redis server's own TIME (one clock for every process sharing it): only a real wait moves it.
    protected override Task PassAsync(TimeSpan span) => Task.Delay(span);

    protected override DateTimeOffset StoreNow => DateTimeOffset.UtcNow;

    public override async ValueTask DisposeAsync()
    {
        if (_scope is not null)
        {
            await _scope.DisposeAsync();
        }
    }

    /// <summary>The same store as seen from another process: its own multiplexer.</summary>
    private async Task<(RedisJobStore Store, ConnectionMultiplexer Connection)> OtherProcessWithConnectionAsync()
    {
        var connection = await Scope.AnotherConnectionAsync();
        return (new RedisJobStore(connection, Options), connection);
    }

    private async Task<RedisJobStore> OtherProcessAsync() => (await OtherProcessWithConnectionAsync()).Store;

    private IDatabase Db => Scope.Db;

    /// <summary>
    /// Leases the next job as soon as one is due on the Redis server's clock (a real process's clock: it is polled, with
    /// a bound, rather than slept on for a fixed time).
    /// </summary>
    private static async Task<LeasedJob> LeaseOnceDueAsync(IJobStore store, string worker)
    {
        LeasedJob? leased = null;
        await Poll.UntilAsync(async () => (leased = await store.LeaseNextAsync(worker, Lease, CancellationToken.None)) is not null,
            TimeSpan.FromSeconds(10), $"{worker} found no due job");
        return leased!;
    }
    private RedisKey StreamKey => Options.KeyPrefix + "jobs:stream";

    [Fact]
    public async Task LeaseNext_ConsumerDiesWithoutRenewing_OtherProcessTakesItOverAfterTheLease()
    {
        var (dying, dyingConnection) = await OtherProcessWithConnectionAsync();
        var survivor = await OtherProcessAsync();
        await Store.EnqueueAsync(Job("orphan"), CancellationToken.None);
        var first = await dying.LeaseNextAsync("dying-worker", TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal("orphan", first!.Job.Id);
        dyingConnection.Dispose();

        Assert.Null(await survivor.LeaseNextAsync("survivor", Lease, CancellationToken.None));
        var second = await LeaseOnceDueAsync(survivor, "survivor");

        Assert.Equal("orphan", second!.Job.Id);
        Assert.Equal(2, second.Job.Attempts);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        var pending = await Db.StreamPendingMessagesAsync(StreamKey, Options.ConsumerGroup, 10, RedisValue.Null);
        var entry = Assert.Single(pending);
        Assert.Equal("survivor", entry.ConsumerName);
        Assert.Equal(2, entry.DeliveryCount);

        Assert.True(await survivor.FinishAsync(second, Completed("done"), Retention, CancellationToken.None));
        Assert.Empty(await Db.StreamPendingMessagesAsync(StreamKey, Options.ConsumerGroup, 10, RedisValue.Null));
        Assert.Equal(0, await Store.CountPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RenewLease_WhileRenewed_NobodyTakesItOver_ThenTakenOnceRenewalsStop()
    {
        var other = await OtherProcessAsync();
        await Store.EnqueueAsync(Job("long"), CancellationToken.None);
        var shortLease = TimeSpan.FromSeconds(1);
        var held = await Store.LeaseNextAsync("holder", shortLease, CancellationToken.None);

        for (var i = 0; i < 6; i++)
        {
            await Task.Delay(300);
            Assert.True(await Store.RenewLeaseAsync(held!, shortLease, CancellationToken.None));
            Assert.Null(await other.LeaseNextAsync("thief", Lease, CancellationToken.None));
        }
        var idle = (await Db.StreamPendingMessagesAsync(StreamKey, Options.ConsumerGroup, 1, "holder"))[0].IdleTimeInMilliseconds;
        Assert.InRange(idle, 0, 800);

        var taken = await LeaseOnceDueAsync(other, "thief");
        Assert.Equal("long", taken!.Job.Id);
        Assert.False(await Store.RenewLeaseAsync(held!, shortLease, CancellationToken.None));
    }

    [Fact]
    public async Task LeaseNext_TwoProcessesManyWorkers_NeverShareAJob()
    {
        const int jobs = 120;
        for (var i = 0; i < jobs; i++)
        {
            await Store.EnqueueAsync(Job($"j{i}"), CancellationToken.None);
        }
        var processes = new[] { await OtherProcessAsync(), await OtherProcessAsync() };
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(processes.SelectMany((store, p) => Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            while (await store.LeaseNextAsync($"p{p}-w{w}", Lease, CancellationToken.None) is { } leased)
            {
                taken.Add(leased.Job.Id);
                Assert.True(await store.FinishAsync(leased, Completed(leased.Job.Id), Retention, CancellationToken.None));
            }
        }))));

        Assert.Equal(jobs, taken.Count);
        Assert.Equal(jobs, taken.Distinct().Count());
        Assert.Equal(0, await Store.CountPendingAsync(CancellationToken.None));
        var completed = await Task.WhenAll(taken.Select(id => Store.GetAsync(id, CancellationToken.None)));
        Assert.All(completed, job => Assert.Equal(1, job!.Attempts));
    }

    [Fact]
    public async Task LeaseNext_ManyWorkersRacingForOneExpiredLease_OnlyOneTakesIt()
    {
        await Store.EnqueueAsync(Job("contested"), CancellationToken.None);
        await Store.LeaseNextAsync("stalled", TimeSpan.FromMilliseconds(100), CancellationToken.None);
        await Task.Delay(300);
        var processes = new[] { await OtherProcessAsync(), await OtherProcessAsync() };

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            processes[i % 2].LeaseNextAsync($"w{i}", Lease, CancellationToken.None))));

        var winner = Assert.Single(results, r => r is not null);
        Assert.Equal(2, winner!.Job.Attempts);
        Assert.Equal(2, (await Store.GetAsync("contested", CancellationToken.None))!.Attempts);
    }

    [Fact]
    public async Task Finish_SetsRetentionAsTtl_DropsInputAndQueueEntry()
    {
        await Store.EnqueueAsync(Job("ttl", [4, 2]), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        Assert.True(await Store.FinishAsync(leased!, Completed("x"), TimeSpan.FromMinutes(10), CancellationToken.None));

        var jobTtl = await Db.KeyTimeToLiveAsync(Options.KeyPrefix + "job:ttl");
        var mediaTtl = await Db.KeyTimeToLiveAsync(Options.KeyPrefix + "job:ttl:media");
        Assert.InRange(jobTtl!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.InRange(mediaTtl!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Null(await Store.GetInputImageAsync("ttl", CancellationToken.None));
        Assert.Equal(0, await Db.StreamLengthAsync(StreamKey));
        Assert.Equal(0, await Db.SortedSetLengthAsync(Options.KeyPrefix + "jobs:leases"));
        var job = await Store.GetAsync("ttl", CancellationToken.None);
        Assert.Equal(job!.FinishedAt!.Value.AddMinutes(10), job.ExpiresAt);
    }

    [Fact]
    public async Task CountPending_CountsQueuedAndProcessing()
    {
        for (var i = 0; i < 3; i++)
        {
            await Store.EnqueueAsync(Job($"n{i}"), CancellationToken.None);
        }
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        Assert.Equal(3, await Store.CountPendingAsync(CancellationToken.None));
        await Store.FinishAsync(leased!, new JobOutcome(null, "boom", "{}", []), Retention, CancellationToken.None);
        Assert.Equal(2, await Store.CountPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Enqueue_DuplicateId_ThrowsAndKeepsTheFirst()
    {
        await Store.EnqueueAsync(Job("same", [1]), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.EnqueueAsync(Job("same", [2]), CancellationToken.None));
        Assert.Equal([1], await Store.GetInputImageAsync("same", CancellationToken.None));
        Assert.Equal(1, await Store.CountPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GetMedia_FailedJob_ReturnsNull()
    {
        await Store.EnqueueAsync(Job("failed"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        var outcome = new JobOutcome(null, "bad image", "{}", [new Contracts.Output.MediaFile("preview.png", [1])]);
        Assert.True(await Store.FinishAsync(leased!, outcome, Retention, CancellationToken.None));
        Assert.Null(await Store.GetMediaAsync("failed", "preview.png", CancellationToken.None));
    }

    [Fact]
    public async Task PurgeExpired_RemovesIdleConsumersThatHoldNothing()
    {
        var options = new RedisOptions
        {
            ConnectionString = Options.ConnectionString,
            KeyPrefix = Options.KeyPrefix,
            ConsumerGroup = Options.ConsumerGroup,
            IdleConsumerTimeout = TimeSpan.FromMilliseconds(200),
        };
        var store = new RedisJobStore(Scope.Redis, options);
        await store.EnqueueAsync(Job("a"), CancellationToken.None);
        await store.EnqueueAsync(Job("b"), CancellationToken.None);
        var done = await store.LeaseNextAsync("finished-worker", Lease, CancellationToken.None);
        await store.FinishAsync(done!, Completed("a"), Retention, CancellationToken.None);
        await store.LeaseNextAsync("busy-worker", Lease, CancellationToken.None);

        await Task.Delay(400);
        await store.PurgeExpiredAsync(CancellationToken.None);

        var consumers = await Db.StreamConsumerInfoAsync(StreamKey, options.ConsumerGroup);
        var left = Assert.Single(consumers);
        Assert.Equal("busy-worker", left.Name);
        Assert.Equal(1, left.PendingMessageCount);
    }
}
