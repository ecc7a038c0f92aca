using System.Diagnostics;
using System.Net;
using Sam3Serve.Server.Tests.Infrastructure;
using Sam3Serve.Server.Webhooks;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>
/// Webhooks and cancel across processes on the Redis store: an API host and a worker host (in-process here, each with
/// its own data dir) share one Redis; the worker's webhook is signed with the secret both share, and a cancel
/// made through the API stops the engine in the worker at once (its store notice, not a lease renewal).
/// </summary>
public sealed class RedisWebhookAndCancelTests
{
    private static Task<ServiceFixture> StartAsync(OwnRedisServer redis, string role, Action<FakeEngine>? engine = null) =>
        ServiceFixture.StartAsync(o =>
        {
            o.Store = StoreKind.Redis;
            o.Redis = redis.Endpoint;
            o.Role = Enum.Parse<ServerRole>(role, ignoreCase: true);
            o.AllowImageHost = ["127.0.0.1"];
            o.WebhookRetryDelays = [TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(0.3)];
            o.Lease = TimeSpan.FromSeconds(60); // renewals every 20 s: a prompt stop can only come from the cancel notice
        }, engine);

    [Fact]
    public async Task PostV1_OnAnApiOnlyProcess_AnswersWithTheStatusTheWorkerStoredForItsFailure()
    {
        using var redis = await OwnRedisServer.StartOrSkipAsync();
        await using var images = await ImageHost.StartAsync(TestImages.Png());
        await using var api = await StartAsync(redis, "api");
        await using var worker = await StartAsync(redis, "worker");
        using var client = api.Client();

        // The worker fails the request with a typed failure (the image server answers 404: 502); the API process,
        // which has no model, answers /v1 with that status read back from the store.
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = images.Url("/missing.png"), text_prompt = "red" }), HttpStatusCode.BadGateway, "404");
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" })).StatusCode);
    }

    [Fact]
    public async Task PostV2_Tiles_CrossTheRedisStoreToTheWorkerAndTheirResultsComeBack()
    {
        using var redis = await OwnRedisServer.StartOrSkipAsync();
        await using var api = await StartAsync(redis, "api");
        await using var worker = await StartAsync(redis, "worker");
        using var client = api.Client();

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image",
            new { image = TestImages.Base64Png(), text_prompt = "red", tiles = new { rows = 3, cols = 4 }, tile_overlap = 0.35 }));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());

        var seen = Assert.Single(worker.Engine.Requests);
        Assert.Equal((3, 4), (seen.Tiles!.Rows, seen.Tiles.Cols));
        Assert.Equal(0.35f, seen.TileOverlap);
        var result = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{submit["request_id"]!.GetValue<string>()}"));
        Assert.Equal(13, result["metrics"]!["image_passes"]!.GetValue<double>());
        var tile = result["output"]!["masks"]![0]!["tile"]!.AsArray();
        Assert.Equal([2, 3], tile.Select(v => v!.GetValue<int>()));
    }

    [Fact]
    public async Task WorkerProcessWebhook_IsSignedWithTheSecretEveryProcessShares()
    {
        using var redis = await OwnRedisServer.StartOrSkipAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var api = await StartAsync(redis, "api");
        await using var worker = await StartAsync(redis, "worker");
        using var client = api.Client();

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", webhook = receiver.Url }));
        var id = submit["request_id"]!.GetValue<string>();
        var delivery = Assert.Single(await receiver.WaitForAsync(1, TimeSpan.FromSeconds(30)));

        var result = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}"));
        Assert.Equal(result.ToJsonString(), delivery.Json.ToJsonString());
        // Media URLs name the API's address, where the request was submitted, not the worker's.
        Assert.StartsWith(api.BaseAddress.AbsoluteUri, delivery.Json["output"]!["preview"]!.GetValue<string>());
        var apiSecret = File.ReadAllText(Path.Combine(api.Options.DataDir, WebhookSecret.FileName)).Trim();
        var workerSecret = File.ReadAllText(Path.Combine(worker.Options.DataDir, WebhookSecret.FileName)).Trim();
        Assert.Equal(apiSecret, workerSecret);
        Assert.True(WebhookReceiver.SignatureValid(delivery, apiSecret));
    }

    [Fact]
    public async Task CancelThroughTheApi_StopsTheEngineInTheWorkerProcess_AndTheWebhookReportsIt()
    {
        using var redis = await OwnRedisServer.StartOrSkipAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var api = await StartAsync(redis, "api");
        await using var worker = await StartAsync(redis, "worker", e => e.Delay = TimeSpan.FromSeconds(60));
        using var client = api.Client();

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", webhook = receiver.Url }));
        var id = submit["request_id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (worker.Engine.Calls == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker never started the request");
            await Task.Delay(50);
        }

        var clock = Stopwatch.StartNew();
        var cancel = await HttpAssert.JsonAsync(await client.PostAsync($"/v2/requests/{id}/cancel", null));
        Assert.Equal("cancelled", cancel["error"]!.GetValue<string>());
        while (worker.Engine.Cancelled == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), "the worker's engine was not cancelled by the notice");
            await Task.Delay(20);
        }

        var delivery = Assert.Single(await receiver.WaitForAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("FAILED", delivery.Json["status"]!.GetValue<string>());
        Assert.Equal("cancelled", delivery.Json["error"]!.GetValue<string>());
        // A later request completing on the same worker proves it is past the cancelled one: its finish, had it
        // overwritten the cancel, would have been written (and its webhook queued) before.
        worker.Engine.Delay = TimeSpan.Zero;
        var later = (await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" })))["request_id"]!.GetValue<string>();
        Assert.Equal("COMPLETED", (await AsyncLifecycleTests.PollUntilFinishedAsync(client, later))["status"]!.GetValue<string>());
        await WebhookTests.WaitForEmptyOutboxAsync(api);
        var after = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}"), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("cancelled", after["error"]!.GetValue<string>());
        Assert.Single(receiver.Deliveries);
    }
}
