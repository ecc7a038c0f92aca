using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Webhooks;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Contract;

// In the store: cancel ends a job once, beats a worker still holding it, and carries its webhook.
public abstract partial class JobStoreContractTests
{
    protected static JobOutcome Cancelled(string? webhookId = null) =>
        new(null, "cancelled", "{\"total_time\":0.1}", [])
        {
            Webhook = webhookId is null ? null : new WebhookMessage(webhookId, "https://hooks.example.com/x", "{\"status\":\"FAILED\"}"),
        };

    [Fact]
    public async Task Enqueue_WithWebhook_KeepsUrlAndBase()
    {
        await Store.EnqueueAsync(Job("w") with { Webhook = "https://hooks.example.com/x", BaseUrl = "https://api.example.com" }, CancellationToken.None);
        var job = await Store.GetAsync("w", CancellationToken.None);
        Assert.Equal("https://hooks.example.com/x", job!.Webhook);
        Assert.Equal("https://api.example.com", job.BaseUrl);
        await Store.EnqueueAsync(Job("plain"), CancellationToken.None);
        Assert.Null((await Store.GetAsync("plain", CancellationToken.None))!.Webhook);
    }

    [Fact]
    public async Task Cancel_Queued_EndsFailedAtOnce_AndNoWorkerTakesIt()
    {
        await Store.EnqueueAsync(Job("q", [1, 2]), CancellationToken.None);
        Assert.True(await Store.CancelAsync("q", Cancelled("q_1"), Retention, CancellationToken.None));

        var job = await Store.GetAsync("q", CancellationToken.None);
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.Equal("cancelled", job.Error);
        Assert.Equal(new JobFailure(FailureKind.Cancelled, 409), job.Failure);
        Assert.Equal("{\"total_time\":0.1}", job.MetricsJson);
        Assert.NotNull(job.FinishedAt);
        Assert.True(job.ExpiresAt > StoreNow.AddMinutes(59));
        Assert.Null(await Store.LeaseNextAsync("w", Lease, CancellationToken.None));
        Assert.Equal(0, await Store.CountPendingAsync(CancellationToken.None));
        Assert.Null(await Store.GetInputImageAsync("q", CancellationToken.None));
        var message = await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None);
        Assert.Equal("q_1", message!.Message.Id);
        Assert.Equal("q", message.Message.RequestId);
    }

    [Fact]
    public async Task Cancel_Processing_BeatsTheWorker_WhoseRenewAndFinishFail()
    {
        await Store.EnqueueAsync(Job("p"), CancellationToken.None);
        var noticed = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Store.SubscribeCancellationsAsync(noticed.Enqueue, CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);

        Assert.True(await Store.CancelAsync("p", Cancelled(), Retention, CancellationToken.None));

        Assert.False(await Store.RenewLeaseAsync(leased!, Lease, CancellationToken.None));
        Assert.False(await Store.FinishAsync(leased!, Completed("late") with { Webhook = new WebhookMessage("p_late", "https://h.example.com", "{}") }, Retention, CancellationToken.None));
        var job = await Store.GetAsync("p", CancellationToken.None);
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.Equal("cancelled", job.Error);
        Assert.Null(job.OutputJson);
        Assert.Null(await Store.GetMediaAsync("p", "preview.png", CancellationToken.None));
        Assert.Equal(0, await Store.CountPendingAsync(CancellationToken.None));
        // The losing finish wrote no webhook either.
        Assert.Equal(0, await Outbox.CountPendingWebhooksAsync(CancellationToken.None));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (noticed.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(["p"], noticed.ToArray());
    }

    [Fact]
    public async Task Cancel_FinishedOrUnknown_ReturnsFalse_AndChangesNothing()
    {
        await Store.EnqueueAsync(Job("done"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        Assert.True(await Store.FinishAsync(leased!, Completed("out"), Retention, CancellationToken.None));

        Assert.False(await Store.CancelAsync("done", Cancelled("done_1"), Retention, CancellationToken.None));
        Assert.False(await Store.CancelAsync("nope", Cancelled("nope_1"), Retention, CancellationToken.None));
        Assert.Equal(JobStatus.Completed, (await Store.GetAsync("done", CancellationToken.None))!.Status);
        Assert.Equal(0, await Outbox.CountPendingWebhooksAsync(CancellationToken.None));

        await Store.EnqueueAsync(Job("twice"), CancellationToken.None);
        Assert.True(await Store.CancelAsync("twice", Cancelled(), Retention, CancellationToken.None));
        Assert.False(await Store.CancelAsync("twice", Cancelled(), Retention, CancellationToken.None));
    }

    [Fact]
    public async Task Cancel_RacingAFinish_ExactlyOneWins()
    {
        for (var i = 0; i < 20; i++)
        {
            var id = $"race-{i}";
            await Store.EnqueueAsync(Job(id), CancellationToken.None);
            var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
            var finish = Task.Run(() => Store.FinishAsync(leased!, Completed("x"), Retention, CancellationToken.None));
            var cancel = Task.Run(() => Store.CancelAsync(id, Cancelled(), Retention, CancellationToken.None));
            var results = await Task.WhenAll(finish, cancel);
            Assert.Single(results, r => r);
            var job = await Store.GetAsync(id, CancellationToken.None);
            Assert.Equal(results[0] ? JobStatus.Completed : JobStatus.Failed, job!.Status);
        }
    }
}
