using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sam3Serve.Server.Tests.Infrastructure;
using Sam3Serve.Tests.Common;
using SkiaSharp;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>submit, poll, result, media, legacy poll URL, retention.</summary>
public sealed class AsyncLifecycleTests
{
    [Fact]
    public async Task PostV2_Lifecycle_QueuedThenCompletedWithAbsoluteMediaUrls()
    {
        await using var service = await ServiceFixture.StartAsync(engine: e => e.Delay = TimeSpan.FromMilliseconds(600));
        using var client = service.Client();

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image",
            new { image = TestImages.Base64Png(64, 48), text_prompt = "red", return_overlay = true, return_masks = true }));
        var id = submit["request_id"]!.GetValue<string>();
        Assert.Equal("QUEUED", submit["status"]!.GetValue<string>());
        var root = service.BaseAddress.AbsoluteUri.TrimEnd('/');
        Assert.Equal($"{root}/v1/requests/{id}", submit["poll_url"]!.GetValue<string>());
        Assert.Equal($"{root}/v2/requests/{id}/status", submit["status_url"]!.GetValue<string>());
        Assert.Equal($"{root}/v2/requests/{id}", submit["response_url"]!.GetValue<string>());

        // While it runs: status 200 with empty metrics, response 202 with the same shape.
        var running = await client.GetAsync($"/v2/requests/{id}");
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        var runningBody = await HttpAssert.JsonAsync(running, HttpStatusCode.Accepted);
        Assert.Contains(runningBody["status"]!.GetValue<string>(), new[] { "QUEUED", "PROCESSING" });
        Assert.Empty(runningBody["metrics"]!.AsObject());

        var status = await PollUntilFinishedAsync(client, id);
        Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());
        // The fake engine waits 600 ms and reports what its stopwatch measured (timers may fire a little early).
        Assert.True(status["metrics"]!["inference_time"]!.GetValue<double>() >= 0.55);

        var result = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}"));
        Assert.Equal("COMPLETED", result["status"]!.GetValue<string>());
        Assert.Null(result["error"]);
        Assert.True(result.ContainsKey("error"));
        Assert.Equal(id, result["request_id"]!.GetValue<string>());
        Assert.True(result["metrics"]!["total_time"]!.GetValue<double>() >= result["metrics"]!["inference_time"]!.GetValue<double>());
        var output = result["output"]!;
        var previewUrl = output["preview"]!.GetValue<string>();
        Assert.Equal($"{root}/v2/requests/{id}/media/preview.png", previewUrl);
        Assert.StartsWith($"{root}/v2/requests/{id}/media/", output["overlay"]!.GetValue<string>());
        Assert.StartsWith($"{root}/v2/requests/{id}/media/", output["masks"]![0]!["mask"]!.GetValue<string>());

        var media = await client.GetAsync(previewUrl);
        Assert.Equal("image/png", media.Content.Headers.ContentType?.MediaType);
        using var preview = SKBitmap.Decode(await media.Content.ReadAsByteArrayAsync());
        Assert.Equal(255, preview.GetPixel(15, 10).Red);

        // The legacy poll URL answers the same body.
        var legacy = await HttpAssert.JsonAsync(await client.GetAsync(submit["poll_url"]!.GetValue<string>()));
        Assert.Equal(result.ToJsonString(), legacy.ToJsonString());

        // Another key sees neither the request nor its media.
        using var stranger = service.Client(await service.CreateKeyAsync("stranger", null, null));
        await HttpAssert.ErrorAsync(await stranger.GetAsync($"/v2/requests/{id}"), HttpStatusCode.NotFound);
        await HttpAssert.ErrorAsync(await stranger.GetAsync(previewUrl), HttpStatusCode.NotFound);
        // Media needs a key at all.
        using var anonymous = service.Client(key: "");
        await HttpAssert.ErrorAsync(await anonymous.GetAsync(previewUrl), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task PostV2_PublicBaseUrl_IsUsedForAbsoluteUrls()
    {
        await using var service = await ServiceFixture.StartAsync(o => o.PublicBaseUrl = "https://seg.example.com/api/");
        using var client = service.Client();
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }));
        var id = submit["request_id"]!.GetValue<string>();
        Assert.Equal($"https://seg.example.com/api/v2/requests/{id}/status", submit["status_url"]!.GetValue<string>());
        await PollUntilFinishedAsync(client, id);
        var result = await HttpAssert.JsonAsync(await client.GetAsync($"/v2/requests/{id}"));
        Assert.Equal($"https://seg.example.com/api/v2/requests/{id}/media/preview.png", result["output"]!["preview"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetStatus_UnknownId_Answers404()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        await HttpAssert.ErrorAsync(await client.GetAsync("/v2/requests/0123456789abcdef/status"), HttpStatusCode.NotFound, "unknown or expired");
        await HttpAssert.ErrorAsync(await client.GetAsync("/v2/requests/0123456789abcdef"), HttpStatusCode.NotFound);
        await HttpAssert.ErrorAsync(await client.GetAsync("/v1/requests/0123456789abcdef"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task GetStatus_AfterRetention_Answers404AndMediaIsGone()
    {
        // The service's clock is virtual: the hour of retention passes at once, and the sweeper (which waits on the
        // same clock) runs as soon as it does.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var service = await ServiceFixture.StartAsync(o =>
        {
            o.Retention = TimeSpan.FromHours(1);
            o.SweepInterval = TimeSpan.FromMinutes(1);
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        using var client = service.Client();
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }));
        var id = submit["request_id"]!.GetValue<string>();
        await PollUntilFinishedAsync(client, id);
        var mediaUrl = $"/v2/requests/{id}/media/preview.png";
        var mediaDir = Path.Combine(service.Options.DataDir, "media", id);

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v2/requests/{id}/status")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(mediaUrl)).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(2));
        await HttpAssert.ErrorAsync(await client.GetAsync($"/v2/requests/{id}/status"), HttpStatusCode.NotFound);
        await HttpAssert.ErrorAsync(await client.GetAsync(mediaUrl), HttpStatusCode.NotFound);
        // The sweep runs on the thread pool once the clock has passed its period: a bounded wait for its effect, moving
        // the clock on in case the sweeper set its next wait after the last move.
        await Poll.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            return !Directory.Exists(mediaDir);
        }, TimeSpan.FromSeconds(10), "media files were not deleted after the retention time");
    }

    [Fact]
    public async Task PostV2_ImageUrlAnswering404_EndsFailedWith422AndError()
    {
        await using var host = await ImageHost.StartAsync(TestImages.Png());
        await using var service = await ServiceFixture.StartAsync(o => o.AllowImageHost = ["127.0.0.1"]);
        using var client = service.Client();
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = host.Url("/missing.png"), text_prompt = "red" }));
        var id = submit["request_id"]!.GetValue<string>();

        var status = await PollUntilFinishedAsync(client, id);
        Assert.Equal("FAILED", status["status"]!.GetValue<string>());
        var failed = await client.GetAsync($"/v2/requests/{id}");
        Assert.Equal((HttpStatusCode)422, failed.StatusCode);
        var body = await HttpAssert.JsonAsync(failed, (HttpStatusCode)422);
        Assert.Equal("FAILED", body["status"]!.GetValue<string>());
        Assert.Contains("404", body["error"]!.GetValue<string>());
        Assert.NotNull(body["metrics"]);
    }

    [Fact]
    public async Task PostV2_ImageFromAllowedUrl_Completes()
    {
        await using var host = await ImageHost.StartAsync(TestImages.Png(50, 40));
        await using var service = await ServiceFixture.StartAsync(o => o.AllowImageHost = ["127.0.0.1"]);
        using var client = service.Client();
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = host.Url("/image.png"), text_prompt = "red" }));
        var status = await PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());
        Assert.True(status["metrics"]!["fetch_time"]!.GetValue<double>() >= 0);
    }

    /// <summary>Polls the status URL until COMPLETED or FAILED (200 or 422).</summary>
    internal static async Task<JsonObject> PollUntilFinishedAsync(HttpClient client, string id, double timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync($"/v2/requests/{id}/status");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            var status = body["status"]?.GetValue<string>();
            if (status is "COMPLETED")
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return body;
            }
            if (status is "FAILED")
            {
                Assert.Equal((HttpStatusCode)422, response.StatusCode);
                return body;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Task.Delay(100);
        }
        throw new TimeoutException($"request {id} did not finish in {timeoutSeconds} s");
    }
}
