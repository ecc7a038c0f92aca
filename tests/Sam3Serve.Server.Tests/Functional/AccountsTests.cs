using System.Net;
using Sam3Serve.Server.Tests.Infrastructure;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>keys (401/403), credits (406, x-remaining-credits, charged only on success), rate limits (429).</summary>
public sealed class AccountsTests : IAsyncLifetime
{
    private ServiceFixture _service = null!;

    public async ValueTask InitializeAsync() => _service = await ServiceFixture.StartAsync(o => o.AllowImageHost = ["127.0.0.1"]);

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Post_MissingKey_Answers401()
    {
        using var client = _service.Client(key: "");
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }), HttpStatusCode.Unauthorized, "API key");
        await HttpAssert.ErrorAsync(await client.GetAsync("/v1/get-user-credits"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Post_UnknownKey_Answers401()
    {
        using var client = _service.Client(key: "s3s_not-a-real-key");
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }), HttpStatusCode.Unauthorized, "unknown API key");
    }

    [Fact]
    public async Task Post_RevokedKey_Answers403_AndTheServerSeesTheChangeAtOnce()
    {
        var key = await _service.CreateKeyAsync("to-revoke", null, null);
        using var client = _service.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/get-user-credits")).StatusCode);

        Assert.True(await _service.Accounts.RevokeAsync("to-revoke", CancellationToken.None));

        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }), HttpStatusCode.Forbidden, "disabled");
    }

    [Fact]
    public async Task Post_Credits_ChargedOnlyOnSuccess_406WhenShort()
    {
        var key = await _service.CreateKeyAsync("two-credits", credits: 2, rpm: null);
        using var client = _service.Client(key);

        var credits = await HttpAssert.JsonAsync(await client.GetAsync("/v1/get-user-credits"));
        Assert.Equal(2m, credits["credits"]!.GetValue<decimal>());
        Assert.Equal(0, credits["free-credits"]!.GetValue<int>());

        var first = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("1", first.Headers.GetValues("x-remaining-credits").Single());

        // A failed request is free: an undecodable image.
        var failed = await client.PostJsonAsync("/v1/sam3-image", new { image = Convert.ToBase64String("just text, not an image"u8.ToArray()), text_prompt = "red" });
        Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        Assert.Equal("1", failed.Headers.GetValues("x-remaining-credits").Single());

        // A v2 request that fails after queueing is free too.
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = "http://127.0.0.1:9/none.png", text_prompt = "red" }));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("FAILED", status["status"]!.GetValue<string>());

        var second = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("0", second.Headers.GetValues("x-remaining-credits").Single());

        var third = await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        await HttpAssert.ErrorAsync(third, HttpStatusCode.NotAcceptable, "credits");
        Assert.Equal("0", third.Headers.GetValues("x-remaining-credits").Single());
        var engineCalls = _service.Engine.Calls;
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }), HttpStatusCode.NotAcceptable);
        Assert.Equal(engineCalls, _service.Engine.Calls);
    }

    [Fact]
    public async Task Post_V2Credits_ReservedAtSubmitChargedOnCompletion()
    {
        var key = await _service.CreateKeyAsync("one-credit", credits: 1, rpm: null);
        using var client = _service.Client(key);
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }));
        // The one credit is held by the queued request: a second submit cannot overspend it.
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" }), HttpStatusCode.NotAcceptable);
        await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        // The worker ends the job, which polls see at once, and charges the hold right after: on a loaded
        // machine the charge can trail the COMPLETED status by a moment, so wait for it (bounded).
        var record = await _service.Accounts.FindByKeyAsync(key, CancellationToken.None);
        for (var i = 0; i < 100 && record!.Reserved != 0m; i++)
        {
            await Task.Delay(50);
            record = await _service.Accounts.FindByKeyAsync(key, CancellationToken.None);
        }
        Assert.Equal(0m, record!.Credits);
        Assert.Equal(0m, record.Reserved);
    }

    [Fact]
    public async Task Post_OverRateLimit_Answers429WithRetryAfter()
    {
        var key = await _service.CreateKeyAsync("slow", credits: null, rpm: 2);
        using var client = _service.Client(key);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" })).StatusCode);
        }
        var limited = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        await HttpAssert.ErrorAsync(limited, HttpStatusCode.TooManyRequests, "rate limit");
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.True(limited.Headers.Contains("x-remaining-credits"));
    }
}
