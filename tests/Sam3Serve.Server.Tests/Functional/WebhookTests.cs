using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sam3Serve.Jobs.Webhooks;
using Sam3Serve.Server.Tests.Infrastructure;
using Sam3Serve.Server.Webhooks;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>Webhooks: the final body, Standard Webhooks signatures, retries, durability, and the address guard.</summary>
public sealed class WebhookTests
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static Task<ServiceFixture> StartAsync(Action<ServerOptions>? configure = null, Action<FakeEngine>? engine = null) =>
        ServiceFixture.StartAsync(o =>
        {
            o.AllowImageHost = ["127.0.0.1"];
            o.WebhookRetryDelays = [TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(0.3)];
            o.WebhookTimeout = TimeSpan.FromSeconds(1);
            configure?.Invoke(o);
        }, engine);

    [Fact]
    public async Task Completed_PostsTheResultBody_SignedWithTheGeneratedSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var service = await StartAsync();
        using var client = service.Client();

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image",
            new { image = TestImages.Base64Png(), text_prompt = "red", return_overlay = true, webhook = receiver.Url }));
        var id = submit["request_id"]!.GetValue<string>();
        var delivery = Assert.Single(await receiver.WaitForAsync(1));

        // The body is what GET /v2/requests/{id} answers, media as absolute URLs.
        var result = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}"));
        Assert.Equal(result.ToJsonString(), delivery.Json.ToJsonString());
        Assert.Equal("COMPLETED", delivery.Json["status"]!.GetValue<string>());
        Assert.StartsWith(service.BaseAddress.AbsoluteUri, delivery.Json["output"]!["overlay"]!.GetValue<string>());
        Assert.Equal("application/json", delivery.ContentType.Split(';')[0]);

        // Standard Webhooks headers, keyed with the secret generated into the data dir.
        Assert.StartsWith(id + "_", delivery.Id);
        Assert.InRange(long.Parse(delivery.Timestamp), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        var secret = File.ReadAllText(Path.Combine(service.Options.DataDir, WebhookSecret.FileName)).Trim();
        Assert.StartsWith("whsec_", secret);
        Assert.True(WebhookReceiver.SignatureValid(delivery, secret));
        Assert.False(WebhookReceiver.SignatureValid(delivery with { Body = delivery.Body + " " }, secret));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(service.Options.DataDir, WebhookSecret.FileName)));
        }
        await WaitForEmptyOutboxAsync(service);
    }

    [Fact]
    public async Task Failed_PostsTheFailedBody_WithTheGivenSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var service = await StartAsync(o => o.WebhookSecret = Secret);
        using var client = service.Client();

        // Points outside the image fail after the image is decoded.
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image",
            new { image = TestImages.Base64Png(64, 48), points_input = "[[500, 500]]", webhook = receiver.Url }));
        var id = submit["request_id"]!.GetValue<string>();
        var delivery = Assert.Single(await receiver.WaitForAsync(1));

        var result = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}"), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(result.ToJsonString(), delivery.Json.ToJsonString());
        Assert.Equal("FAILED", delivery.Json["status"]!.GetValue<string>());
        Assert.Contains("outside", delivery.Json["error"]!.GetValue<string>());
        Assert.True(WebhookReceiver.SignatureValid(delivery, Secret));
        Assert.False(File.Exists(Path.Combine(service.Options.DataDir, WebhookSecret.FileName)));
    }

    [Fact]
    public async Task ReceiverErrorsAndTimeouts_AreRetried_WithTheSameIdAndBody_UntilA2xx()
    {
        // 500, then no answer (past the 1 s timeout), then 503, then 204.
        await using var receiver = await WebhookReceiver.StartAsync(500, 0, 503, 204);
        await using var service = await StartAsync(o => o.WebhookSecret = Secret);
        using var client = service.Client();

        await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", webhook = receiver.Url }));
        var deliveries = await receiver.WaitForAsync(4);
        await WaitForEmptyOutboxAsync(service);

        Assert.Equal(4, receiver.Deliveries.Count);
        Assert.Single(deliveries.Select(d => d.Id).Distinct());
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("sam3serve_webhook_attempts_total{result=\"retried\"} 3", metrics);
        Assert.Contains("sam3serve_webhook_attempts_total{result=\"delivered\"} 1", metrics);
        Assert.Single(deliveries.Select(d => d.Body).Distinct());
        Assert.All(deliveries, d => Assert.True(WebhookReceiver.SignatureValid(d, Secret)));
    }

    [Fact]
    public async Task ReceiverThatNeverSucceeds_IsRetriedAfterEachDelay_ThenGivenUp()
    {
        // Virtual time: retries an hour apart take no real time, and the outbox (on the same clock) shows what is due.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync(500, 500, 500, 500, 500, 500);
        await using var service = await ServiceFixture.StartAsync(o =>
        {
            o.AllowImageHost = ["127.0.0.1"];
            o.WebhookRetryDelays = [TimeSpan.FromHours(1), TimeSpan.FromHours(1)];
            o.WebhookTimeout = TimeSpan.FromSeconds(1);
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        using var client = service.Client();
        var outbox = service.Services.GetRequiredService<IWebhookOutbox>();

        await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", webhook = receiver.Url }));
        await receiver.WaitForAsync(1);
        for (var attempt = 2; attempt <= 3; attempt++)
        {
            await WaitForMetricAsync(client, $"sam3serve_webhook_attempts_total{{result=\"retried\"}} {attempt - 1}");
            clock.Advance(TimeSpan.FromMinutes(59));
            Assert.Null(await outbox.LeaseNextWebhookAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
            Assert.Equal(attempt - 1, receiver.Deliveries.Count);
            clock.Advance(TimeSpan.FromMinutes(1));
            await receiver.WaitForAsync(attempt);
        }

        // Given up after the last delay: the message left the outbox, so nothing is left to send.
        await WaitForMetricAsync(client, "sam3serve_webhook_attempts_total{result=\"given_up\"} 1");
        Assert.Equal(0, await outbox.CountPendingWebhooksAsync(CancellationToken.None));
        Assert.Equal(3, receiver.Deliveries.Count);
    }

    private static Task WaitForMetricAsync(HttpClient client, string line) =>
        Poll.UntilAsync(async () => (await client.GetStringAsync("/metrics")).Contains(line, StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), $"/metrics did not show {line}");

    [Fact]
    public async Task PendingDelivery_SurvivesARestart_AndIsMadeByTheNextProcess()
    {
        using var dataDir = new TempDir("sam3serve-webhook-restart");
        await using var receiver = await WebhookReceiver.StartAsync(500);
        string id;
        await using (var first = await StartAsync(o =>
        {
            o.DataDir = dataDir.Path;
            o.WebhookRetryDelays = [TimeSpan.FromHours(1)]; // the retry is due long after this process stops
        }))
        {
            using var client = first.Client();
            var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", webhook = receiver.Url }));
            id = submit["request_id"]!.GetValue<string>();
            await receiver.WaitForAsync(1);
        }
        // Make the stored retry due now, as if the hour had passed while the service was down.
        var database = Sam3Serve.Jobs.Sqlite.SqliteDatabase.Open(dataDir.Path);
        using (var connection = database.Connect())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE webhooks SET due_at = 0";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        await using var second = await StartAsync(o => o.DataDir = dataDir.Path);
        var deliveries = await receiver.WaitForAsync(2);
        Assert.Equal(deliveries[0].Id, deliveries[1].Id);
        Assert.Equal(id, deliveries[1].Json["request_id"]!.GetValue<string>());
        // Same data dir, same generated secret.
        var secret = File.ReadAllText(Path.Combine(dataDir.Path, WebhookSecret.FileName)).Trim();
        Assert.All(deliveries, d => Assert.True(WebhookReceiver.SignatureValid(d, secret)));
        await WaitForEmptyOutboxAsync(second);
    }

    public static TheoryData<string> RefusedWebhooks => new()
    {
        "http://127.0.0.1:9/hook",
        "http://2130706433/hook",
        "http://0x7f.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://localhost:8080/hook",
        "http://hooks.localhost/hook",
        "http://10.0.0.7/hook",
        "http://[fd00:ec2::254]/hook",
    };

    [Theory]
    [MemberData(nameof(RefusedWebhooks))]
    public async Task RefusedWebhookAddress_Is400AtSubmit_NamingWebhook(string webhook)
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();

        var body = await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", webhook }),
            HttpStatusCode.BadRequest, "webhook");
        Assert.NotNull(body["errors"]!["webhook"]);
        Assert.Equal(0, await service.Services.GetRequiredService<Sam3Serve.Jobs.Queue.IJobStore>().CountPendingAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("not a url")]
    [InlineData("/relative/hook")]
    public async Task MalformedWebhook_Is400NamingWebhook(string webhook)
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        var body = await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", webhook }),
            HttpStatusCode.BadRequest, "webhook");
        Assert.NotNull(body["errors"]!["webhook"]);
        await HttpAssert.ErrorAsync(await client.PostRawAsync("/v2/sam3-image", $$"""{"image": "{{TestImages.Base64Png()}}", "webhook": 42}"""),
            HttpStatusCode.BadRequest, "webhook");
    }

    [Fact]
    public async Task StoredWebhookToARefusedAddress_IsRefusedWhenDialled_AndNeverReached()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // No allow-list. Submit refuses such a URL; this one is written to the store directly, as a message whose
        // name resolved to loopback would be, to show the sender's own guard.
        await using var service = await StartAsync(o =>
        {
            o.AllowImageHost = [];
            o.WebhookRetryDelays = [TimeSpan.FromSeconds(0.1)];
        });
        var jobs = service.Services.GetRequiredService<Sam3Serve.Jobs.Queue.IJobStore>();
        await jobs.EnqueueAsync(new Sam3Serve.Jobs.Queue.NewJob("direct", "k", "{}", "http://example.com/a.png", null, 0) { Webhook = receiver.Url }, CancellationToken.None);
        var outcome = new Sam3Serve.Jobs.Queue.JobOutcome(null, "cancelled", "{}", []) { Webhook = new WebhookMessage("direct_1", receiver.Url, "{}") };
        Assert.True(await jobs.CancelAsync("direct", outcome, TimeSpan.FromMinutes(5), CancellationToken.None));

        await WaitForEmptyOutboxAsync(service);
        Assert.Empty(receiver.Deliveries);
    }

    internal static async Task WaitForEmptyOutboxAsync(ServiceFixture service)
    {
        var outbox = service.Services.GetRequiredService<IWebhookOutbox>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await outbox.CountPendingWebhooksAsync(CancellationToken.None) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the webhook outbox did not drain");
            await Task.Delay(100);
        }
    }
}
