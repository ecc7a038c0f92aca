using Sam3Serve.Jobs.Webhooks;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Contract;

// Webhooks in the store: the webhook outbox is written with the job's end and leased like a job.
public abstract partial class JobStoreContractTests
{
    protected IWebhookOutbox Outbox => (IWebhookOutbox)Store;

    private async Task<string> FinishWithWebhookAsync(string id)
    {
        await Store.EnqueueAsync(Job(id) with { Webhook = "https://hooks.example.com/x" }, CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        var outcome = Completed(id) with { Webhook = new WebhookMessage($"{id}_evt", "https://hooks.example.com/x", $"{{\"request_id\":\"{id}\"}}") };
        Assert.True(await Store.FinishAsync(leased!, outcome, Retention, CancellationToken.None));
        return $"{id}_evt";
    }

    [Fact]
    public async Task Finish_WithWebhook_WritesTheMessage_LeasedToOneSenderAtATime()
    {
        var messageId = await FinishWithWebhookAsync("hooked");
        Assert.Equal(1, await Outbox.CountPendingWebhooksAsync(CancellationToken.None));

        var leased = await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None);
        Assert.NotNull(leased);
        Assert.Equal(messageId, leased.Message.Id);
        Assert.Equal("hooked", leased.Message.RequestId);
        Assert.Equal("https://hooks.example.com/x", leased.Message.Url);
        Assert.Equal("{\"request_id\":\"hooked\"}", leased.Message.Body);
        Assert.Equal(0, leased.Message.Attempts);
        Assert.Null(await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None));

        Assert.True(await Outbox.CompleteWebhookAsync(leased, CancellationToken.None));
        Assert.False(await Outbox.CompleteWebhookAsync(leased, CancellationToken.None));
        Assert.Equal(0, await Outbox.CountPendingWebhooksAsync(CancellationToken.None));
        Assert.Null(await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None));
    }

    [Fact]
    public async Task Finish_WithoutWebhook_WritesNoMessage()
    {
        await Store.EnqueueAsync(Job("quiet"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        Assert.True(await Store.FinishAsync(leased!, Completed("x"), Retention, CancellationToken.None));
        Assert.Equal(0, await Outbox.CountPendingWebhooksAsync(CancellationToken.None));
        Assert.Null(await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None));
    }

    [Fact]
    public async Task RetryWebhook_CountsTheAttempt_AndMakesItDueAfterTheDelay()
    {
        await FinishWithWebhookAsync("retried");
        var first = await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None);
        Assert.True(await Outbox.RetryWebhookAsync(first!, TimeSpan.FromMilliseconds(1500), "answered 500", CancellationToken.None));
        Assert.False(await Outbox.RetryWebhookAsync(first!, TimeSpan.Zero, "again", CancellationToken.None));

        Assert.Null(await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None));
        await PassAsync(TimeSpan.FromMilliseconds(2000));
        var second = await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None);
        Assert.Equal(first!.Message.Id, second!.Message.Id);
        Assert.Equal(1, second.Message.Attempts);
        Assert.Equal("answered 500", second.Message.LastError);
        Assert.Equal(first.Message.Body, second.Message.Body);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
    }

    [Fact]
    public async Task LeaseNextWebhook_SenderDiesMidDelivery_AnotherTakesItAfterTheLease()
    {
        await FinishWithWebhookAsync("orphaned");
        var dead = await Outbox.LeaseNextWebhookAsync(TimeSpan.FromMilliseconds(1000), CancellationToken.None);
        Assert.Null(await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None));

        await PassAsync(TimeSpan.FromMilliseconds(2000));
        var taken = await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None);

        Assert.Equal(dead!.Message.Id, taken!.Message.Id);
        // The sender that lost its lease can neither complete nor reschedule the message.
        Assert.False(await Outbox.CompleteWebhookAsync(dead, CancellationToken.None));
        Assert.False(await Outbox.RetryWebhookAsync(dead, TimeSpan.Zero, "late", CancellationToken.None));
        Assert.True(await Outbox.CompleteWebhookAsync(taken, CancellationToken.None));
        Assert.Equal(0, await Outbox.CountPendingWebhooksAsync(CancellationToken.None));
    }

    [Fact]
    public async Task LeaseNextWebhook_ConcurrentSenders_NeverShareAMessage()
    {
        for (var i = 0; i < 24; i++)
        {
            await FinishWithWebhookAsync($"m{i}");
        }
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (await Outbox.LeaseNextWebhookAsync(Lease, CancellationToken.None) is { } leased)
            {
                taken.Add(leased.Message.Id);
            }
        })));
        Assert.Equal(24, taken.Count);
        Assert.Equal(24, taken.Distinct().Count());
    }

    [Fact]
    public async Task GetOrCreateWebhookSecret_FirstCandidateWins()
    {
        Assert.Equal("whsec_first", await Outbox.GetOrCreateWebhookSecretAsync("whsec_first", CancellationToken.None));
        Assert.Equal("whsec_first", await Outbox.GetOrCreateWebhookSecretAsync("whsec_second", CancellationToken.None));
    }
}
