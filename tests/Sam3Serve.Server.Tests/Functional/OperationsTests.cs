using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Server.Tests.Infrastructure;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>Health, metrics, OpenAPI, queue bound, deadlines, unknown routes and unexpected faults.</summary>
public sealed class OperationsTests
{
    [Fact]
    public async Task Health_ModelNotLoaded_ReadyIs503AndV1Is503()
    {
        await using var service = await ServiceFixture.StartAsync(engine: e => e.IsReady = false);
        using var client = service.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        var body = await HttpAssert.ErrorAsync(ready, HttpStatusCode.ServiceUnavailable);
        Assert.False(body["model_loaded"]!.GetValue<bool>());
        Assert.True(ready.Headers.Contains("Retry-After"));

        var v1 = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        await HttpAssert.ErrorAsync(v1, HttpStatusCode.ServiceUnavailable, "loading");
        Assert.True(v1.Headers.Contains("Retry-After"));

        service.Engine.IsReady = true;
        var now = await HttpAssert.JsonAsync(await client.GetAsync("/health/ready"));
        Assert.Equal("ready", now["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_AfterRequests_ExposesRequestQueueAndStageSeries()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        var text = await client.GetStringAsync("/metrics");
        Assert.Contains("sam3serve_requests_total{endpoint=\"/v1/{model}\",code=\"200\"} 1", text);
        Assert.Contains("sam3serve_stage_duration_seconds_count{stage=\"decode_time\"}", text);
        Assert.Contains("sam3serve_stage_duration_seconds_count{stage=\"encoder_time\"}", text);
        Assert.Contains("sam3serve_queue_depth", text);
        Assert.Contains("sam3serve_jobs_total{api=\"v1\",outcome=\"completed\"} 1", text);
    }

    [Fact]
    public async Task OpenApi_DescribesEveryEndpoint()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        var doc = await HttpAssert.JsonAsync(await client.GetAsync("/openapi/v1.json"));
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var expected in new[] { "/v1/{model}", "/v2/{model}", "/v2/requests/{id}/status", "/v2/requests/{id}", "/v1/requests/{id}", "/v2/requests/{id}/media/{name}", "/v1/get-user-credits", "/health/live", "/health/ready" })
        {
            Assert.Contains(expected, paths);
        }
    }

    [Theory]
    [InlineData("/v1/{model}")]
    [InlineData("/v2/{model}")]
    public async Task OpenApi_RequestBody_DescribesTheContractFieldsWithBoxLabels(string path)
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        var doc = await HttpAssert.JsonAsync(await client.GetAsync("/openapi/v1.json"));

        var content = doc["paths"]![path]!["post"]!["requestBody"]!["content"]!;
        Assert.NotNull(content["multipart/form-data"]);
        var schema = content["application/json"]!["schema"]!;
        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            schema = doc["components"]!["schemas"]![reference.Split('/')[^1]]!;
        }
        var properties = schema["properties"]!.AsObject();
        foreach (var field in new[] { "image", "text_prompt", "points_input", "point_labels_input", "boxes_input", "box_labels_input", "box_mode", "threshold" })
        {
            Assert.True(properties.ContainsKey(field), $"{path}: no {field} in the request schema");
        }
        var boxLabels = properties["box_labels_input"]!;
        Assert.Contains("string", boxLabels["type"]!.ToJsonString(), StringComparison.Ordinal);
        var description = boxLabels["description"]!.GetValue<string>();
        Assert.Contains("0 = negative exemplar", description, StringComparison.Ordinal);
        Assert.Contains("box_mode \"object\"", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostV2_QueueFull_Answers429WithRetryAfter()
    {
        await using var service = await ServiceFixture.StartAsync(o => o.MaxQueue = 2, e => e.Delay = TimeSpan.FromSeconds(2));
        using var client = service.Client();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" })).StatusCode);
        }
        var full = await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        await HttpAssert.ErrorAsync(full, HttpStatusCode.TooManyRequests, "queue is full");
        Assert.True(full.Headers.Contains("Retry-After"));
        var v1 = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        await HttpAssert.ErrorAsync(v1, HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task PostV1_PastSyncDeadline_Answers504AndChargesNothing()
    {
        await using var service = await ServiceFixture.StartAsync(o => o.SyncTimeout = TimeSpan.FromSeconds(0.5), e => e.Delay = TimeSpan.FromSeconds(3));
        var key = await service.CreateKeyAsync("budget", credits: 5, rpm: null);
        using var client = service.Client(key);
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        await HttpAssert.ErrorAsync(response, HttpStatusCode.GatewayTimeout, "deadline");
        Assert.Equal("5", response.Headers.GetValues("x-remaining-credits").Single());
    }

    [Fact]
    public async Task Post_UnknownModelSlug_Answers404()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sdxl", new { image = TestImages.Base64Png() }), HttpStatusCode.NotFound, "unknown model");
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sdxl", new { image = TestImages.Base64Png() }), HttpStatusCode.NotFound, "unknown model");
        await HttpAssert.ErrorAsync(await client.GetAsync("/no/such/route"), HttpStatusCode.NotFound);
    }

    public static TheoryData<string> StoreOutages => ["connection", "loading"];

    [Theory]
    [MemberData(nameof(StoreOutages))]
    public async Task PostV1_StoreUnreachableMidRequest_Answers503WithRetryAfter(string outage)
    {
        // What a Redis restart looks like from inside a request (the fault suite's kill -9 found these as 500s):
        // the connection drops, then the restarted server answers LOADING while it replays its file.
        Exception fault = outage == "loading"
            ? new StackExchange.Redis.RedisServerException("LOADING Redis is loading the dataset in memory")
            : new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.SocketFailure, "SocketFailure on 127.0.0.1:6379");
        // The embedded store stands in; the Redis backend's fault classifier is what a Redis-backed process registers.
        await using var service = await ServiceFixture.StartAsync(engine: e => e.Fault = fault,
            services: s => s.AddSingleton<Sam3Serve.Jobs.IStoreFaults, Sam3Serve.Jobs.Redis.RedisStoreFaults>());
        using var client = service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        await HttpAssert.ErrorAsync(response, HttpStatusCode.ServiceUnavailable, "retry");
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task PostV1_RedisFaultOnTheEmbeddedStore_IsAFault_Answers500()
    {
        // Only the registered backend's classifier decides what "unavailable" means: on SQLite a Redis exception is a bug.
        await using var service = await ServiceFixture.StartAsync(engine: e => e.Fault =
            new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.SocketFailure, "SocketFailure"));
        using var client = service.Client();
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }), HttpStatusCode.InternalServerError, "request id");
    }

    [Fact]
    public async Task PostV1_EngineFault_Answers500WithoutDetail_AndV2Fails()
    {
        await using var service = await ServiceFixture.StartAsync(engine: e => e.Fault = new InvalidOperationException("secret internal detail"));
        using var client = service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        var body = await HttpAssert.ErrorAsync(response, HttpStatusCode.InternalServerError, "request id");
        Assert.DoesNotContain("secret", body.ToJsonString());
        Assert.Equal(body["request_id"]!.GetValue<string>(), response.Headers.GetValues("x-request-id").Single());

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("FAILED", status["status"]!.GetValue<string>());
        Assert.DoesNotContain("secret", status.ToJsonString());
    }

    [Fact]
    public async Task PostV1_ModeTheModelLacks_Answers400WithTheReason_AndV2FailsWithIt()
    {
        const string reason = "this server's model cannot do points and boxes (interactive mode): its bundle lacks tracker-vision-encoder.onnx; text prompts still work";
        await using var service = await ServiceFixture.StartAsync(engine: e => e.Fault = new ModeUnavailableException(SegmentationMode.Interactive, reason));
        using var client = service.Client();

        var body = await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), points_input = "[[10, 10]]" }), HttpStatusCode.BadRequest);
        Assert.Equal(reason, body["error"]!.GetValue<string>());

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), points_input = "[[10, 10]]" }));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("FAILED", status["status"]!.GetValue<string>());
        Assert.Equal(reason, status["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Workers_RunConcurrentlyUpToTheConfiguredCount()
    {
        await using var service = await ServiceFixture.StartAsync(o => o.Workers = 2, e => e.Delay = TimeSpan.FromSeconds(1));
        using var client = service.Client();
        var started = DateTime.UtcNow;
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }));
            ids.Add(submit["request_id"]!.GetValue<string>());
        }
        foreach (var id in ids)
        {
            await AsyncLifecycleTests.PollUntilFinishedAsync(client, id);
        }
        var elapsed = DateTime.UtcNow - started;
        // 4 jobs of 1 s on 2 workers take at least 2 s (never more than 2 at once).
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.9), $"finished in {elapsed}");
    }
}
