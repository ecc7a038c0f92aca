using Sam3Serve.FaultSuite;
using Sam3Serve.FaultSuite.Chaos;
using Sam3Serve.FaultSuite.Hostile;
using Sam3Serve.FaultSuite.Load;
using Sam3Serve.FaultSuite.Processes;
using Sam3Serve.FaultSuite.Webhooks;
using Xunit;

namespace Sam3Serve.Cli.Tests;

/// <summary>
/// The bounded slice of the fault suite (benchmarks/Sam3Serve.FaultSuite) that CI runs: every family of
/// hostile request against the real program, and one kill -9 each of the server and of Redis under load.
/// The full runs (2,000 hostile requests, ten minutes of load, five kills each) are in docs/reliability.md.
/// </summary>
public sealed class FaultSuiteTests : IAsyncLifetime
{
    private SuiteSetup _suite = null!;

    public async ValueTask InitializeAsync() => _suite = await SuiteSetup.CreateAsync();

    public ValueTask DisposeAsync()
    {
        _suite.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task HostileRequests_EveryKindTenTimes_NoServerErrorNoCrashAndStillServing()
    {
        using var server = _suite.SqliteServer("hostile");
        await server.StartAsync(TimeSpan.FromSeconds(120));
        var generator = new HostileRequests(_suite.Key);
        var report = await HostileRun.RunAsync(server.Port, _suite.Key, 10 * generator.Kinds.Count, concurrency: 8, () => server.IsRunning);

        Assert.True(report.ServerErrors.Count == 0, string.Join("\n", report.ServerErrors));
        Assert.True(report.ServerAlive, "the server process ended");
        Assert.True(report.ValidRequestWorksAfter, "a valid request failed after the hostile ones");
        Assert.Equal(0, _suite.UnexpectedFailuresLogged("hostile"));
        // Each family was answered with a refusal (or, for the cut-off ones, not at all): nothing slipped through as a 5xx.
        Assert.Equal(generator.Kinds.OrderBy(k => k), report.StatusesByKind.Keys.OrderBy(k => k));
    }

    [Fact]
    public async Task Chaos_ServerAndRedisKilledOnceUnderLoad_EveryAcceptedRequestEndsAndIsNotified()
    {
        if (RedisProcess.FindBinary() is not { } binary)
        {
            Assert.Skip("redis-server is not on PATH: this test kills a Redis of its own");
            return;
        }
        using var redis = await RedisProcess.StartAsync(binary, Path.Combine(_suite.Root, "redis"));
        using var server = await _suite.RedisServerAsync("chaos", redis.Endpoint);
        await server.StartAsync(TimeSpan.FromSeconds(120));
        await using var receiver = _suite.WebhooksSupported ? await WebhookReceiver.StartAsync(_suite.WebhookSecret) : null;
        var load = new MixedLoad(server.BaseAddress, _suite.Key, SuiteSetup.LoadImage(), receiver?.Url);

        var report = await new ChaosRun(server, redis, load, receiver).RunAsync(
            TimeSpan.FromSeconds(25), concurrency: 3, serverKills: 1, redisKills: 1, settleWithin: TimeSpan.FromMinutes(2), _ => { });

        Assert.Equal(2, report.Events.Count);
        Assert.NotEmpty(report.Load.Accepted);
        Assert.True(report.NotEnded.Count == 0, "requests accepted but never ended:\n" + string.Join("\n", report.NotEnded));
        if (receiver is not null)
        {
            Assert.True(report.WebhooksMissing.Count == 0, "webhooks never delivered: " + string.Join(", ", report.WebhooksMissing));
            Assert.Equal(0, report.BadSignatures);
        }
    }
}
