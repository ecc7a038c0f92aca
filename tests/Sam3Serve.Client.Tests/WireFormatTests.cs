using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Client.Tests.Infrastructure;

namespace Sam3Serve.Client.Tests;

/// <summary>What goes over the wire: path, headers and the exact JSON body, as Segmind's API takes it.</summary>
public sealed class WireFormatTests
{
    private const string Key = "wire-key";

    // Recorded request for every parameter: the prompt arrays are JSON text inside strings, the rest plain JSON values.
    private const string EveryParameterJson =
        """{"image":"AQID","text_prompt":"dog","text_prompts":["dog","cat"],"points_input":"[[300, 400], [10.5, 20]]","point_labels_input":"[[1, 0]]","boxes_input":"[[1, 2, 30, 40], [5.25, 6, 70, 80]]","threshold":0.4,"points_per_side":16,"pred_iou_thresh":0.9,"max_masks":5,"return_preview":false,"return_overlay":true,"return_masks":true,"mask_format":"rle","box_mode":"object","image_id":"img-7"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Sam3Request EveryParameter() =>
        Sam3Request.FromBytes([1, 2, 3])
            .WithTextPrompt("dog")
            .WithTextPrompts("dog", "cat")
            .WithPoint(300, 400)
            .WithPoint(10.5, 20, Sam3PointLabel.Background)
            .WithBox(1, 2, 30, 40)
            .WithBox(5.25, 6, 70, 80)
            .WithThreshold(0.4)
            .WithPointsPerSide(16)
            .WithPredIouThresh(0.9)
            .WithMaxMasks(5)
            .WithPreview(false)
            .WithOverlay()
            .WithMasks(Sam3MaskFormat.Rle)
            .WithBoxMode(Sam3BoxMode.Object)
            .WithImageId("img-7");

    private static Task<LoopbackServer> StartRecorderAsync() => LoopbackServer.StartAsync(app =>
    {
        app.MapPost("/v1/{model}", () => Results.Bytes([0x89, 0x50, 0x4E, 0x47], "image/png"));
        app.MapPost("/v2/{model}", (HttpRequest r) => Results.Json(new
        {
            request_id = "abc",
            status = "QUEUED",
            poll_url = $"{r.Scheme}://{r.Host}/v1/requests/abc",
            status_url = $"{r.Scheme}://{r.Host}/v2/requests/abc/status",
            response_url = $"{r.Scheme}://{r.Host}/v2/requests/abc",
        }));
    });

    [Fact]
    public async Task RunSyncAsync_EveryParameter_PostsContractJsonToV1WithKeyHeader()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        await client.RunSyncAsync(EveryParameter(), Ct);

        var sent = Assert.Single(server.Requests);
        Assert.Equal("POST", sent.Method);
        Assert.Equal("/v1/sam3-image", sent.Path);
        Assert.Equal(Key, sent.Header("x-api-key"));
        Assert.Null(sent.Header("Authorization"));
        Assert.Equal("application/json", sent.ContentType);
        Assert.Equal(EveryParameterJson, sent.Body);
    }

    [Fact]
    public async Task SubmitAsync_EveryParameter_PostsSameJsonToV2AndAcceptsJson()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        var job = await client.SubmitAsync(EveryParameter(), Ct);

        var sent = Assert.Single(server.Requests);
        Assert.Equal("/v2/sam3-image", sent.Path);
        Assert.Equal(Key, sent.Header("x-api-key"));
        Assert.Null(sent.Header("Authorization"));
        Assert.Equal("application/json", sent.ContentType);
        Assert.Contains("application/json", sent.Header("Accept"));
        Assert.Equal(EveryParameterJson, sent.Body);
        Assert.Equal("abc", job.RequestId);
    }

    [Fact]
    public async Task RunSyncAsync_EveryParameter_UsesJsonTypesOfTheContract()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        await client.RunSyncAsync(EveryParameter(), Ct);

        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        var root = body.RootElement;
        Assert.Equal(JsonValueKind.String, root.GetProperty("points_input").ValueKind);
        Assert.Equal(JsonValueKind.String, root.GetProperty("point_labels_input").ValueKind);
        Assert.Equal(JsonValueKind.String, root.GetProperty("boxes_input").ValueKind);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("text_prompts").ValueKind);
        Assert.Equal(16, root.GetProperty("points_per_side").GetInt32());
        Assert.Equal(0.9, root.GetProperty("pred_iou_thresh").GetDouble());
        Assert.Equal(JsonValueKind.True, root.GetProperty("return_masks").ValueKind);
        // The string-encoded arrays are themselves valid JSON with the values given.
        using var points = JsonDocument.Parse(root.GetProperty("points_input").GetString()!);
        Assert.Equal(10.5, points.RootElement[1][0].GetDouble());
    }

    [Fact]
    public async Task RunSyncAsync_OnlyImageUrl_OmitsEveryUnsetField()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        await client.RunSyncAsync(Sam3Request.FromUrl("https://example.com/cat.jpg?size=big&x=1"), Ct);

        Assert.Equal("""{"image":"https://example.com/cat.jpg?size=big&x=1"}""", Assert.Single(server.Requests).Body);
    }

    [Fact]
    public async Task RunSyncAsync_NegativeBox_SendsOneBoxLabelPerBoxInBoxOrder()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        var request = Sam3Request.FromUrl("https://example.com/a.jpg")
            .WithTextPrompt("wheel")
            .WithBox(1, 2, 30, 40)
            .WithBox(5, 6, 70, 80, Sam3BoxLabel.Negative)
            .WithBox(7, 8, 9, 10, Sam3BoxLabel.Positive);
        await client.RunSyncAsync(request, Ct);

        Assert.Equal(
            """{"image":"https://example.com/a.jpg","text_prompt":"wheel","boxes_input":"[[1, 2, 30, 40], [5, 6, 70, 80], [7, 8, 9, 10]]","box_labels_input":"[1, 0, 1]"}""",
            Assert.Single(server.Requests).Body);
    }

    [Fact]
    public async Task SubmitAsync_NegativeBoxesFromWithBoxes_SendBoxLabelsToV2()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        await client.SubmitAsync(Sam3Request.FromUrl("https://example.com/a.jpg").WithBoxes(
            new Sam3Box(0, 0, 10, 10, Sam3BoxLabel.Negative),
            new Sam3Box(20, 20, 40, 40) { Label = Sam3BoxLabel.Negative },
            new Sam3Box(50, 50, 60, 60)), Ct);

        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        Assert.Equal("[0, 0, 1]", body.RootElement.GetProperty("box_labels_input").GetString());
    }

    [Fact]
    public async Task RunSyncAsync_OnlyPositiveBoxes_OmitsBoxLabels()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        await client.RunSyncAsync(Sam3Request.FromUrl("https://example.com/a.jpg").WithBox(1, 2, 3, 4, Sam3BoxLabel.Positive).WithBox(5, 6, 7, 8), Ct);

        Assert.Equal("""{"image":"https://example.com/a.jpg","boxes_input":"[[1, 2, 3, 4], [5, 6, 7, 8]]"}""", Assert.Single(server.Requests).Body);
    }

    [Fact]
    public async Task RunSyncAsync_Base64WithPlusAndSlash_SendsThemUnescaped()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);

        await client.RunSyncAsync(Sam3Request.FromBytes([0xFB, 0xFF]).WithTextPrompt("caf\u00e9 <b>"), Ct);

        Assert.Equal("""{"image":"+/8=","text_prompt":"café <b>"}""", Assert.Single(server.Requests).Body);
    }

    [Fact]
    public async Task RunSyncAsync_ImageFromFileAndStream_SendsFileBytesAsBase64()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(Key, server.BaseAddress);
        var path = Path.Combine(Path.GetTempPath(), $"sam3client-{Guid.NewGuid():n}.png");
        byte[] bytes = [9, 8, 7, 6, 5];
        await File.WriteAllBytesAsync(path, bytes, Ct);
        try
        {
            await client.RunSyncAsync(Sam3Request.FromFile(path), Ct);
            using var stream = new MemoryStream(bytes);
            await client.RunSyncAsync(Sam3Request.FromStream(stream), Ct);
        }
        finally
        {
            File.Delete(path);
        }

        var expected = $$"""{"image":"{{Convert.ToBase64String(bytes)}}"}""";
        Assert.All(server.Requests, r => Assert.Equal(expected, r.Body));
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task RunSyncAsync_SegmindStyleBaseUrlAndCustomModel_PostsToV1Model()
    {
        await using var server = await StartRecorderAsync();
        using var client = new Sam3Client(new Sam3ClientOptions
        {
            ApiKey = Key,
            BaseAddress = new Uri(server.BaseAddress, "v1"),
            Model = "sam3-image-large",
        });

        await client.RunSyncAsync(Sam3Request.FromUrl("https://example.com/a.png"), Ct);

        Assert.Equal("/v1/sam3-image-large", Assert.Single(server.Requests).Path);
        Assert.Equal(server.BaseAddress, client.BaseAddress);
    }

    [Fact]
    public async Task RunSyncAsync_PassedHttpClientWithBaseAddress_UsesIt()
    {
        await using var server = await StartRecorderAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var client = new Sam3Client(http, new Sam3ClientOptions { ApiKey = Key });

        var answer = await client.RunSyncAsync(Sam3Request.FromUrl("https://example.com/a.png"), Ct);

        Assert.True(answer.IsImage);
        Assert.Equal(Key, Assert.Single(server.Requests).Header("x-api-key"));
    }
}
