using Sam3Serve.Tests.Common;
using System.Net;
using Sam3Serve.Client.IntegrationTests.Infrastructure;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests;

/// <summary>
/// Credits through the SDK (price 2 on this service) and the failure paths: a request that ends FAILED after it
/// was queued (its image URL, served from a loopback host the service may reach, is not an image or is missing),
/// and one refused at once with 400.
/// </summary>
public sealed class FailureAndCreditTests(BillingService service) : IClassFixture<BillingService>, IAsyncLifetime
{
    private static readonly byte[] ScenePng = Scene.Png();
    private LoopbackWebServer _images = null!;

    public async ValueTask InitializeAsync() =>
        _images = await ImageHost.StartAsync(new()
        {
            ["scene.png"] = ("image/png", ScenePng),
            ["garbage.png"] = ("image/png", "this is not an image, whatever the header says"u8.ToArray()),
        });

    public async ValueTask DisposeAsync() => await _images.DisposeAsync();

    private async Task<Sam3Client> FundedClientAsync(decimal credits) =>
        service.Client(await service.CreateKeyAsync($"funded-{Guid.NewGuid():N}", credits, null));

    [Fact]
    public async Task GetCreditsAsync_EachCompletedRequest_CostsThePrice()
    {
        using var client = await FundedClientAsync(10);
        var before = await client.GetCreditsAsync();

        var v2 = await client.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));
        var afterV2 = await client.GetCreditsAsync();
        var v1 = await client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("green"));
        var afterV1 = await client.GetCreditsAsync();
        var byUrl = await client.RunAsync(Sam3Request.FromUrl(_images.Url("scene.png")).WithTextPrompt("blue"));
        var afterUrl = await client.GetCreditsAsync();

        Assert.Equal(10, before.Credits);
        Assert.Equal(0, before.FreeCredits);
        Assert.Equal(10 - (double)BillingService.Price, afterV2.Credits);
        Assert.Equal(10 - 2 * (double)BillingService.Price, afterV1.Credits);
        Assert.Equal(10 - 3 * (double)BillingService.Price, afterUrl.Credits);
        Assert.Equal(afterV2.Credits, v2.RemainingCredits);
        Assert.Equal(afterV1.Credits, v1.RemainingCredits);
        Assert.Equal(1, byUrl.Output!.Count);
        Assert.Equal(1, v2.Output!.Count);
    }

    [Fact]
    public async Task RunAsync_NotEnoughCredits_Sam3ApiException406()
    {
        using var client = await FundedClientAsync(BillingService.Price - 1);

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red")));

        Assert.Equal(HttpStatusCode.NotAcceptable, error.StatusCode);
        Assert.Contains("credits", error.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal((double)BillingService.Price - 1, (await client.GetCreditsAsync()).Credits);
    }

    [Fact]
    public async Task GetCreditsAsync_UnlimitedKey_CreditsIsNull()
    {
        using var client = service.Client(await service.CreateKeyAsync($"unlimited-{Guid.NewGuid():N}", null, null));

        var credits = await client.GetCreditsAsync();

        Assert.Null(credits.Credits);
        Assert.Equal(0, credits.FreeCredits);
    }

    [Fact]
    public async Task RunAsync_ImageUrlIsNotAnImage_InferenceFailedExceptionWithIdAndReason_AndNoCharge()
    {
        using var client = await FundedClientAsync(10);

        var error = await Assert.ThrowsAsync<InferenceFailedException>(() => client.RunAsync(Sam3Request.FromUrl(_images.Url("garbage.png")).WithTextPrompt("red")));

        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.False(string.IsNullOrWhiteSpace(error.Error));
        Assert.Contains(error.RequestId, error.Message, StringComparison.Ordinal);
        Assert.Contains("FAILED", error.ResponseBody, StringComparison.Ordinal);
        // The same id polls as FAILED afterwards, and the failure was free.
        var status = await client.GetJob(error.RequestId).GetStatusAsync();
        Assert.Equal(Sam3JobState.Failed, status.State);
        Assert.Equal(error.Error, status.Error);
        Assert.Equal(10, (await client.GetCreditsAsync()).Credits);
    }

    [Fact]
    public async Task RunAsync_ImageUrlAnswers404_InferenceFailedExceptionNamingTheFetch()
    {
        using var client = await FundedClientAsync(10);

        var error = await Assert.ThrowsAsync<InferenceFailedException>(() => client.RunAsync(Sam3Request.FromUrl(_images.Url("missing.jpg")).WithTextPrompt("red")));

        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.Contains("404", error.Error, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InferenceFailedException>(() => client.GetJob(error.RequestId).GetResultAsync());
        Assert.Equal(10, (await client.GetCreditsAsync()).Credits);
    }

    [Fact]
    public async Task RunAsync_ThresholdOutOfRange_Sam3ApiException400NamingTheField()
    {
        using var client = await FundedClientAsync(10);

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red").WithThreshold(3)));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.True(error.Errors.ContainsKey("threshold"), $"errors: {error.ResponseBody}");
        Assert.NotEmpty(error.Errors["threshold"]);
        Assert.False(string.IsNullOrWhiteSpace(error.Error));
        Assert.Null(error.RetryAfter);
        Assert.Equal(10, (await client.GetCreditsAsync()).Credits);
    }

    [Fact]
    public async Task RunSyncAsync_InvertedBox_Sam3ApiException400NamingBoxesInput()
    {
        using var client = await FundedClientAsync(10);

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithBox(200, 200, 100, 300)));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.True(error.Errors.ContainsKey("boxes_input"), $"errors: {error.ResponseBody}");
    }

    [Fact]
    public async Task RunSyncAsync_UndecodableInlineImage_Sam3ApiException400()
    {
        using var client = await FundedClientAsync(10);

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunSyncAsync(Sam3Request.FromBytes("not an image at all"u8.ToArray()).WithTextPrompt("red")));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(10, (await client.GetCreditsAsync()).Credits);
    }

    [Fact]
    public async Task GetCreditsAsync_UnknownKey_Sam3ApiException401()
    {
        using var client = service.Client("sk-not-a-key");

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.GetCreditsAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }
}
