using Sam3Serve.Client.IntegrationTests.Infrastructure;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests;

/// <summary>The v1 answers (PNG and JSON) and v2 media downloads, decoded with the SDK's helpers.</summary>
public sealed class SyncAndMediaTests(PlainService service) : IClassFixture<PlainService>
{
    private static readonly byte[] ScenePng = Scene.Png();

    [Fact]
    public async Task RunSyncAsync_DefaultPreview_AnswersThePreviewPng()
    {
        using var client = service.Client();

        var answer = await client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));

        Assert.True(answer.IsImage);
        Assert.Null(answer.Output);
        Assert.Equal("image/png", answer.ContentType);
        Assert.False(string.IsNullOrEmpty(answer.RequestId));
        Assert.True(answer.InferenceTime > 0, "x-inference-time is missing");
        var (w, h, values) = Scene.Gray(answer.Image!);
        Assert.Equal((Scene.Width, Scene.Height), (w, h));
        // One object: painted 255 on 0.
        Scene.AssertOn(Scene.Where(values, 255), Scene.Red);
    }

    [Fact]
    public async Task RunSyncAsync_PointPrompt_PreviewPngCoversTheSelectedRegion()
    {
        using var client = service.Client();
        var b = Scene.Blue;

        var answer = await client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithPoint(b.MidX, b.MidY));

        var (_, _, values) = Scene.Gray(Assert.IsType<byte[]>(answer.Image));
        Scene.AssertOn(Scene.Where(values, 255), Scene.Blue);
    }

    [Fact]
    public async Task RunSyncAsync_MasksAndOverlay_AnswersTheOutputObjectWithDataUris()
    {
        using var client = service.Client();

        var answer = await client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompts("green", "blue").WithOverlay().WithMasks());

        Assert.False(answer.IsImage);
        Assert.Equal("application/json", answer.ContentType);
        var output = Assert.IsType<Sam3Output>(answer.Output);
        Assert.Equal(2, output.Count);
        Assert.True(Sam3DataUri.IsDataUri(output.Preview), output.Preview);
        Assert.True(Sam3DataUri.IsDataUri(output.Overlay), output.Overlay);

        // The preview paints object i with i + 1.
        var (pw, ph, preview) = Scene.Gray(await client.GetMediaAsync(output.Preview!));
        Assert.Equal((Scene.Width, Scene.Height), (pw, ph));
        var overlay = Sam3DataUri.Parse(output.Overlay!);
        Assert.Equal("image/png", overlay.MediaType);
        Assert.Equal((Scene.Width, Scene.Height), (Scene.Gray(overlay.Data).Width, Scene.Gray(overlay.Data).Height));
        foreach (var mask in output.Masks)
        {
            var rect = mask.PromptIndex == 0 ? Scene.Green : Scene.Blue;
            Scene.AssertOn(Scene.Where(preview, (byte)(mask.Index + 1)), rect);
            Assert.Equal(Sam3MaskDataKind.Image, mask.Mask!.Kind);
            var (mw, mh, pixels) = Scene.Gray(await client.GetMediaAsync(mask.Mask.Image!));
            Assert.Equal((Scene.Width, Scene.Height), (mw, mh));
            var inside = Scene.Where(pixels, 255);
            Assert.Equal(mask.Area, inside.LongCount(p => p == 1));
            Scene.AssertOn(inside, rect);
        }
    }

    [Fact]
    public async Task RunSyncAsync_RleMasks_DecodeOntoTheRectangle()
    {
        using var client = service.Client();

        var answer = await client.RunSyncAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red").WithMasks(Sam3MaskFormat.Rle));

        var mask = Assert.Single(answer.Output!.Masks);
        Scene.AssertOn(mask.Mask!.Rle!.Decode(), Scene.Red);
        Scene.AssertBox(mask.Box, Scene.Red);
    }

    [Fact]
    public async Task GetMediaAsync_V2PreviewOverlayAndMaskUrls_DownloadPngsOfTheImageSize()
    {
        using var client = service.Client();

        var result = await client.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("blue").WithOverlay().WithMasks());

        var output = result.Output!;
        foreach (var reference in new[] { output.Preview!, output.Overlay!, output.Masks[0].Mask!.Image! })
        {
            var url = new Uri(reference);
            Assert.Equal(service.BaseAddress.Authority, url.Authority);
            Assert.StartsWith($"/v2/requests/{result.RequestId}/media/", url.AbsolutePath, StringComparison.Ordinal);
            var (w, h, _) = Scene.Gray(await client.GetMediaAsync(reference));
            Assert.Equal((Scene.Width, Scene.Height), (w, h));
        }
        var (_, _, preview) = Scene.Gray(await client.GetMediaAsync(output.Preview!));
        Scene.AssertOn(Scene.Where(preview, 255), Scene.Blue);
    }

    [Fact]
    public async Task GetMediaAsync_WithAnotherKeysClient_IsRefused()
    {
        using var owner = service.Client();
        using var stranger = service.Client(await service.CreateKeyAsync($"stranger-{Guid.NewGuid():N}", null, null));
        var result = await owner.RunAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => stranger.GetMediaAsync(result.Output!.Preview!));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task SubmitAsync_ThenGetJobById_ResumesAndCompletes()
    {
        using var client = service.Client();
        var job = await client.SubmitAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("green"));
        Assert.Equal("QUEUED", job.SubmitStatus);
        Assert.Equal(service.BaseAddress.Authority, job.StatusUrl.Authority);

        var resumed = client.GetJob(job.RequestId);
        var statuses = new List<Sam3JobStatus>();
        var result = await resumed.WaitAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), new SyncProgress<Sam3JobStatus>(statuses.Add));

        Assert.Equal(job.RequestId, result.RequestId);
        Assert.Equal(Sam3JobState.Completed, statuses[^1].State);
        Assert.Equal(1, result.Output!.Count);
        var again = await job.GetResultAsync();
        Assert.Equal(result.Output.Masks[0].Area, again.Output!.Masks[0].Area);
    }
}

/// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
