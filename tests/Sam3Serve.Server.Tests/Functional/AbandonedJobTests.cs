using System.Net;
using Microsoft.Extensions.Time.Testing;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Sqlite;
using Sam3Serve.Server.Requests;
using Sam3Serve.Server.Tests.Infrastructure;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>A job whose workers keep dying is failed visibly, not retried for ever.</summary>
public sealed class AbandonedJobTests
{
    [Fact]
    public async Task Worker_JobAbandonedMaxAttemptsTimes_EndsFailedWithTheReason()
    {
        using var dataDir = new TempDir("sam3serve-abandoned");
        var database = SqliteDatabase.Open(dataDir.Path);
        var (key, plainKey) = await new SqliteAccountStore(database).CreateKeyAsync("owner", 3, null, CancellationToken.None);
        // The dead workers' leases are taken on a clock of their own, a minute back: long run out when the service starts.
        var deadWorkersClock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-1));
        var store = new SqliteJobStore(database, deadWorkersClock);
        var request = StoredRequest.Serialize(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] });
        await store.EnqueueAsync(new NewJob("abandoned-job", key.Id, request, null, TestImages.Png(), 1), CancellationToken.None);
        // Three workers took it and died: each lease ran out unfinished.
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await store.LeaseNextAsync($"dead-{i}", TimeSpan.Zero, CancellationToken.None));
            deadWorkersClock.Advance(TimeSpan.FromMilliseconds(5)); // past the (zero-length) lease, to the millisecond the store keeps
        }

        await using var service = await ServiceFixture.StartAsync(o =>
        {
            o.DataDir = dataDir.Path;
            o.MaxAttempts = 3;
        });
        using var client = service.Client(plainKey);

        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, "abandoned-job");
        Assert.Equal("FAILED", status["status"]!.GetValue<string>());
        Assert.Contains("abandoned 3 times", status["error"]!.GetValue<string>());
        Assert.Equal(0, service.Engine.Calls);
        var credits = await HttpAssert.JsonAsync(await client.GetAsync("/v1/get-user-credits"));
        Assert.Equal(3m, credits["credits"]!.GetValue<decimal>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}
