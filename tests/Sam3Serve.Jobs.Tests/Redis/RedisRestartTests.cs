using Sam3Serve.Tests.Common;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Redis;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Redis;

/// <summary>The stores across a Redis restart: state persisted by the AOF, the same multiplexer reconnecting.</summary>
public sealed class RedisRestartTests
{
    [Fact]
    public async Task Stores_AfterServerRestart_KeepJobsLeasesAndBalances_AndGoOnWorking()
    {
        await RedisTestServer.ConnectOrSkipAsync();
        using var server = await OwnRedisServer.StartOrSkipAsync();
        var options = new RedisOptions { ConnectionString = $"{server.Endpoint},asyncTimeout=1000,connectTimeout=1000", KeyPrefix = "restart:" };
        using var jobs = new RedisJobStore(options);
        using var accounts = new RedisAccountStore(options);
        var lease = TimeSpan.FromMinutes(5);

        await jobs.EnqueueAsync(new NewJob("held", "k", "{}", "http://example.com/a.png", null, 1m), CancellationToken.None);
        await jobs.EnqueueAsync(new NewJob("waiting", "k", "{}", null, [7, 7, 7], 2m), CancellationToken.None);
        var held = await jobs.LeaseNextAsync("worker-1", lease, CancellationToken.None);
        var (key, _) = await accounts.CreateKeyAsync("acct", 5m, null, CancellationToken.None);
        Assert.True((await accounts.TryReserveAsync(key.Id, "held-across-restart", 2m, CancellationToken.None)).Reserved);

        await server.ShutdownAsync();
        Assert.False(await jobs.PingAsync(CancellationToken.None));
        await server.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await jobs.PingAsync(CancellationToken.None) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(JobStatus.Processing, (await jobs.GetAsync("held", CancellationToken.None))!.Status);
        Assert.Equal(2, await jobs.CountPendingAsync(CancellationToken.None));
        // The group's read position survived: the next lease is the job never handed out, not "held" again.
        var next = await jobs.LeaseNextAsync("worker-2", lease, CancellationToken.None);
        Assert.Equal("waiting", next!.Job.Id);
        Assert.Equal([7, 7, 7], await jobs.GetInputImageAsync("waiting", CancellationToken.None));
        Assert.Null(await jobs.LeaseNextAsync("worker-2", lease, CancellationToken.None));
        // The lease taken before the restart still proves ownership.
        Assert.True(await jobs.RenewLeaseAsync(held!, lease, CancellationToken.None));
        Assert.True(await jobs.FinishAsync(held!, new JobOutcome("{}", null, "{}", []), TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Equal(1, await jobs.CountPendingAsync(CancellationToken.None));

        var account = await accounts.GetAsync(key.Id, CancellationToken.None);
        Assert.Equal(5m, account!.Credits);
        Assert.Equal(2m, account.Reserved);
        Assert.Equal(3m, await accounts.CommitAsync(key.Id, "held-across-restart", CancellationToken.None));
    }
}
