using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Tests.Infrastructure;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>
/// An image URL whose host is itself a refused address, in any notation, or a name for
/// this machine or a cloud metadata service, is refused at submit on /v2 with the 400 /v1 gives; names that need
/// DNS are checked when fetched.
/// </summary>
public sealed class SubmitTimeRefusalTests : IAsyncLifetime
{
    private ServiceFixture _service = null!;

    public async ValueTask InitializeAsync() => _service = await ServiceFixture.StartAsync(o => o.ImageFetchTimeout = TimeSpan.FromSeconds(2));

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    public static TheoryData<string> RefusedImageUrls => new()
    {
        "http://127.0.0.1:8080/a.png",
        "http://2130706433/a.png",
        "http://017700000001/a.png",
        "http://0x7f000001/a.png",
        "http://0x7f.1/a.png",
        "http://0177.0.0.1/a.png",
        "http://127.1/a.png",
        "http://[::1]/a.png",
        "http://[0:0:0:0:0:0:0:1]/a.png",
        "http://[::ffff:127.0.0.1]/a.png",
        "http://[::ffff:7f00:1]/a.png",
        "http://localhost/a.png",
        "http://LocalHost./a.png",
        "http://images.localhost/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
        "http://169.254.10.20/a.png",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]/a.png",
        "http://10.0.0.1/a.png",
        "http://192.168.1.1/a.png",
        "http://172.16.0.1/a.png",
        "http://0.0.0.0/a.png",
        "http://224.0.0.1/a.png",
    };

    [Theory]
    [MemberData(nameof(RefusedImageUrls))]
    public async Task PostV2_ImageUrlWithRefusedHost_Is400AtSubmit_AsOnV1(string url)
    {
        using var client = _service.Client();

        var v2 = await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = url, text_prompt = "red" }), HttpStatusCode.BadRequest, "image");
        Assert.NotNull(v2["errors"]!["image"]);
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = url, text_prompt = "red" }), HttpStatusCode.BadRequest);

        Assert.Equal(0, await _service.Services.GetRequiredService<IJobStore>().CountPendingAsync(CancellationToken.None));
        Assert.Equal(0, _service.Engine.Calls);
    }

    [Fact]
    public async Task PostV2_RefusedAtSubmit_IsNeitherQueuedNorCharged()
    {
        var key = await _service.CreateKeyAsync("payer", credits: 3, rpm: null);
        using var client = _service.Client(key);
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = "http://2130706433/a.png", text_prompt = "red" }), HttpStatusCode.BadRequest);
        var credits = await HttpAssert.JsonAsync(await client.GetAsync("/v1/get-user-credits"));
        Assert.Equal(3m, credits["credits"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task PostV2_NameNeedingDns_IsAcceptedAndCheckedWhenFetched()
    {
        using var client = _service.Client();
        // .invalid never resolves (RFC 6761): accepted at submit, FAILED when the worker fetches it.
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = "http://images.example.invalid/a.png", text_prompt = "red" }));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("FAILED", status["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostV2_AllowListedAddressInAnyNotation_IsAcceptedAndFetched()
    {
        await using var host = await ImageHost.StartAsync(TestImages.Png());
        await using var service = await ServiceFixture.StartAsync(o => o.AllowImageHost = ["127.0.0.1"]);
        using var client = service.Client();
        var port = host.BaseAddress.Port;
        foreach (var url in new[] { $"http://2130706433:{port}/image.png", $"http://127.1:{port}/image.png" })
        {
            var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = url, text_prompt = "red" }));
            var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
            Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());
        }
    }
}
