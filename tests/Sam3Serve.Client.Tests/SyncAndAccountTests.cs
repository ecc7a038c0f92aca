using Sam3Serve.Client.Tests.Infrastructure;

namespace Sam3Serve.Client.Tests;

/// <summary>v1 answers (image or JSON by Content-Type), credits, and reading result media.</summary>
public sealed class SyncAndAccountTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunSyncAsync_DefaultPreviewOnly_ReturnsPngBytesAndHeaders()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();

        var answer = await client.RunSyncAsync(Sam3Request.FromUrl("https://example.com/a.jpg").WithTextPrompt("cat"), Ct);

        Assert.True(answer.IsImage);
        Assert.Equal(FakeSam3Server.PngBytes, answer.Image);
        Assert.Null(answer.Output);
        Assert.Equal("image/png", answer.ContentType);
        Assert.Equal("sync-1", answer.RequestId);
        Assert.Equal(0.125, answer.InferenceTime);
        Assert.Equal(41, answer.RemainingCredits);
    }

    [Fact]
    public async Task RunSyncAsync_WithMasks_ReturnsOutputObjectWithDataUris()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();

        var answer = await client.RunSyncAsync(Sam3Request.FromUrl("https://example.com/a.jpg").WithTextPrompt("cat").WithMasks(), Ct);

        Assert.False(answer.IsImage);
        Assert.Null(answer.Image);
        Assert.Equal("application/json", answer.ContentType);
        var output = Assert.IsType<Sam3Output>(answer.Output);
        Assert.Equal(2, output.Count);
        var mask = output.Masks[0].Mask!;
        Assert.Equal(Sam3MaskDataKind.Image, mask.Kind);
        Assert.StartsWith("data:image/png;base64,", mask.Image);
        Assert.Equal(FakeSam3Server.PngBytes, await client.GetMediaAsync(mask.Image!, Ct));
        Assert.Equal(FakeSam3Server.PngBytes, await client.GetMediaAsync(output.Preview!, Ct));
    }

    [Fact]
    public async Task GetCreditsAsync_ReadsCreditsAndFreeCredits()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();

        var credits = await client.GetCreditsAsync(Ct);

        Assert.Equal(42.5, credits.Credits);
        Assert.Equal(3, credits.FreeCredits);
        var sent = Assert.Single(fake.RequestsTo("/v1/get-user-credits"));
        Assert.Equal("GET", sent.Method);
        Assert.Equal(FakeSam3Server.Key, sent.Header("x-api-key"));
    }

    [Fact]
    public async Task GetMediaAsync_V2PreviewUrl_DownloadsWithTheKey()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient(o => o.PollInterval = TimeSpan.FromMilliseconds(20));
        var result = await client.RunAsync(Sam3Request.FromUrl("https://example.com/a.jpg").WithTextPrompt("cat"), Ct);

        var bytes = await client.GetMediaAsync(result.Output!.Preview!, Ct);

        Assert.Equal(FakeSam3Server.PngBytes, bytes);
        var sent = Assert.Single(fake.RequestsTo($"/v2/requests/{result.RequestId}/media/preview.png"));
        Assert.Equal(FakeSam3Server.Key, sent.Header("x-api-key"));
    }

    [Fact]
    public async Task GetMediaAsync_UrlOnAnotherHost_DoesNotSendTheKey()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        await using var other = await LoopbackServer.StartAsync(app =>
            Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, "/img.png", () => Microsoft.AspNetCore.Http.Results.Bytes([7, 7], "image/png")));
        using var client = fake.CreateClient();

        var bytes = await client.GetMediaAsync(new Uri(other.BaseAddress, "img.png").AbsoluteUri, Ct);

        Assert.Equal([7, 7], bytes);
        Assert.Null(Assert.Single(other.Requests).Header("x-api-key"));
    }

    [Fact]
    public async Task GetMediaAsync_ExpiredMedia_RaisesSam3ApiException404()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();

        var error = await Assert.ThrowsAsync<Sam3ApiException>(
            () => client.GetMediaAsync(new Uri(fake.BaseAddress, "v2/requests/gone/media/preview.png").AbsoluteUri, Ct));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.StatusCode);
    }
}
