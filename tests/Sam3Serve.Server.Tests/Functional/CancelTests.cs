using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Sam3Serve.Server.Tests.Infrastructure;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>Cancel: QUEUED ends at once, PROCESSING at the engine's next stage boundary; never charged; webhook; 404/409.</summary>
public sealed class CancelTests
{
    private static async Task<string> SubmitAsync(HttpClient client, object body) =>
        (await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", body)))["request_id"]!.GetValue<string>();

    private static async Task WaitForStatusAsync(HttpClient client, string id, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var body = JsonNode.Parse(await (await client.GetAsync($"/v2/requests/{id}/status")).Content.ReadAsStringAsync())!;
            if (body["status"]?.GetValue<string>() == status)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"request {id} never reached {status}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Cancel_Queued_EndsAtOnce_IsNotCharged_AndGetsItsWebhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var service = await ServiceFixture.StartAsync(o => o.AllowImageHost = ["127.0.0.1"], e => e.Delay = TimeSpan.FromSeconds(3));
        var key = await service.CreateKeyAsync("payer", credits: 5, rpm: null);
        using var client = service.Client(key);
        var running = await SubmitAsync(client, new { image = TestImages.Base64Png(), text_prompt = "red" });
        await WaitForStatusAsync(client, running, "PROCESSING");
        var queued = await SubmitAsync(client, new { image = TestImages.Base64Png(), text_prompt = "red", webhook = receiver.Url });

        var cancel = await HttpAssert.JsonAsync(await client.PostAsync($"/v2/requests/{queued}/cancel", null));

        Assert.Equal("FAILED", cancel["status"]!.GetValue<string>());
        Assert.Equal("cancelled", cancel["error"]!.GetValue<string>());
        Assert.Equal(queued, cancel["request_id"]!.GetValue<string>());
        var status = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{queued}/status"), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(cancel.ToJsonString(), status.ToJsonString());
        var result = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{queued}"), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("cancelled", result["error"]!.GetValue<string>());

        var delivery = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal(result.ToJsonString(), delivery.Json.ToJsonString());

        // The running one completes and is charged; the cancelled one never runs and is not charged. A later request
        // completing proves the worker went past the cancelled one's place in the queue without running it.
        Assert.Equal("COMPLETED", (await AsyncLifecycleTests.PollUntilFinishedAsync(client, running))["status"]!.GetValue<string>());
        service.Engine.Delay = TimeSpan.Zero;
        var later = await SubmitAsync(client, new { image = TestImages.Base64Png(), text_prompt = "red" });
        Assert.Equal("COMPLETED", (await AsyncLifecycleTests.PollUntilFinishedAsync(client, later))["status"]!.GetValue<string>());
        Assert.Equal(2, service.Engine.Calls);
        var credits = await HttpAssert.JsonAsync(await client.GetAsync("/v1/get-user-credits"));
        Assert.Equal(3m, credits["credits"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Cancel_Processing_StopsTheEngine_AndTheWorkerDoesNotOverwriteIt()
    {
        await using var service = await ServiceFixture.StartAsync(engine: e => e.Delay = TimeSpan.FromSeconds(30));
        var key = await service.CreateKeyAsync("payer", credits: 2, rpm: null);
        using var client = service.Client(key);
        var id = await SubmitAsync(client, new { image = TestImages.Base64Png(), text_prompt = "red" });
        await WaitForStatusAsync(client, id, "PROCESSING");
        while (service.Engine.Calls == 0)
        {
            await Task.Delay(20);
        }

        var clock = Stopwatch.StartNew();
        var cancel = await HttpAssert.JsonAsync(await client.PostAsync($"/v2/requests/{id}/cancel", null));
        Assert.Equal("FAILED", cancel["status"]!.GetValue<string>());
        Assert.Equal("cancelled", cancel["error"]!.GetValue<string>());

        // The engine's token fired: it stops long before its 30 s, and the worker is free for the next request.
        while (service.Engine.Cancelled == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the engine was not cancelled");
            await Task.Delay(20);
        }
        service.Engine.Delay = TimeSpan.Zero;
        var next = await SubmitAsync(client, new { image = TestImages.Base64Png(), text_prompt = "red" });
        Assert.Equal("COMPLETED", (await AsyncLifecycleTests.PollUntilFinishedAsync(client, next))["status"]!.GetValue<string>());

        var after = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}"), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("cancelled", after["error"]!.GetValue<string>());
        var credits = await HttpAssert.JsonAsync(await client.GetAsync("/v1/get-user-credits"));
        Assert.Equal(1m, credits["credits"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Cancel_Ended_Is409_UnknownOrAnotherKeys_Is404()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        var id = await SubmitAsync(client, new { image = TestImages.Base64Png(), text_prompt = "red" });
        await AsyncLifecycleTests.PollUntilFinishedAsync(client, id);

        await HttpAssert.ErrorAsync(await client.PostAsync($"/v2/requests/{id}/cancel", null), HttpStatusCode.Conflict, "COMPLETED");
        Assert.Equal("COMPLETED", (await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}/status")))["status"]!.GetValue<string>());
        await HttpAssert.ErrorAsync(await client.PostAsync("/v2/requests/0123456789abcdef/cancel", null), HttpStatusCode.NotFound);

        using var other = service.Client(await service.CreateKeyAsync("other", credits: null, rpm: null));
        await HttpAssert.ErrorAsync(await other.PostAsync($"/v2/requests/{id}/cancel", null), HttpStatusCode.NotFound);
        using var anonymous = service.Client("");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/v2/requests/{id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Cancel_Twice_SecondIs409()
    {
        await using var service = await ServiceFixture.StartAsync(engine: e => e.Delay = TimeSpan.FromSeconds(30));
        using var client = service.Client();
        var id = await SubmitAsync(client, new { image = TestImages.Base64Png(), text_prompt = "red" });

        await HttpAssert.JsonAsync(await client.PostAsync($"/v2/requests/{id}/cancel", null));
        await HttpAssert.ErrorAsync(await client.PostAsync($"/v2/requests/{id}/cancel", null), HttpStatusCode.Conflict, "FAILED");
    }
}
