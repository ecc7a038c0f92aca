using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Server.Tests.Infrastructure;
using SkiaSharp;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

public sealed class SyncEndpointTests : IAsyncLifetime
{
    private ServiceFixture _service = null!;

    public async ValueTask InitializeAsync() => _service = await ServiceFixture.StartAsync();

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task PostV1_DefaultOutputs_AnswersPreviewPngWithMaskPixels()
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(64, 48), text_prompt = "red" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("unlimited", response.Headers.GetValues("x-remaining-credits").Single());
        Assert.True(double.Parse(response.Headers.GetValues("x-inference-time").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(32, response.Headers.GetValues("x-request-id").Single().Length);
        using var preview = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((64, 48), (preview.Width, preview.Height));
        // One object: 255 on 0. The fake engine's first concept object covers x in [10,30), y in [5,25).
        Assert.Equal(255, preview.GetPixel(15, 10).Red);
        Assert.Equal(0, preview.GetPixel(40, 10).Red);
        Assert.Equal(0, preview.GetPixel(15, 30).Red);
    }

    [Fact]
    public async Task PostV1_AcceptJson_AnswersOutputObjectWithInlineImages()
    {
        using var client = _service.Client();
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/sam3-image")
        {
            Content = JsonContent("""{"image": "IMAGE", "text_prompts": ["a", "b"]}""".Replace("IMAGE", TestImages.Base64Png(80, 40))),
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var body = await HttpAssert.JsonAsync(await client.SendAsync(message));

        Assert.Equal(80, body["width"]!.GetValue<int>());
        Assert.Equal(40, body["height"]!.GetValue<int>());
        Assert.Equal("concept", body["mode"]!.GetValue<string>());
        Assert.Equal(2, body["count"]!.GetValue<int>());
        var masks = body["masks"]!.AsArray();
        Assert.Equal([0, 1], masks.Select(m => m!["prompt_index"]!.GetValue<int>()));
        Assert.Equal([30.0, 5, 50, 25], masks[1]!["box"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(400, masks[0]!["area"]!.GetValue<long>());
        Assert.Null(masks[0]!["mask"]);
        Assert.StartsWith("data:image/png;base64,", body["preview"]!.GetValue<string>());
        Assert.Null(body["overlay"]);
        // Two objects: the preview paints index + 1.
        using var preview = SKBitmap.Decode(Convert.FromBase64String(body["preview"]!.GetValue<string>()["data:image/png;base64,".Length..]));
        Assert.Equal(1, preview.GetPixel(15, 10).Red);
        Assert.Equal(2, preview.GetPixel(45, 10).Red);
    }

    [Theory]
    [InlineData("""{"return_masks": true}""")]
    [InlineData("""{"return_overlay": true}""")]
    [InlineData("""{"mask_format": "rle"}""")]
    public async Task PostV1_SeveralOrNonPngOutputs_AnswersJson(string extra)
    {
        using var client = _service.Client();
        var body = JsonNode.Parse(extra)!.AsObject();
        body["image"] = TestImages.Base64Png();
        body["text_prompt"] = "red";
        var response = await client.PostRawAsync("/v1/sam3-image", body.ToJsonString());
        var json = await HttpAssert.JsonAsync(response);
        Assert.Equal("concept", json["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostV1_OverlayOnly_AnswersOverlayPng()
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(64, 48), text_prompt = "x", return_preview = false, return_overlay = true });
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        using var overlay = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((64, 48), (overlay.Width, overlay.Height));
    }

    [Fact]
    public async Task PostV1_ReturnMasksRle_MaskFieldIsCocoRle()
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(64, 48), points_input = "[[20, 20]]", return_masks = true, mask_format = "rle" });
        var body = await HttpAssert.JsonAsync(response);
        var mask = body["masks"]![0]!["mask"]!.AsObject();
        Assert.Equal([48, 64], mask["size"]!.AsArray().Select(v => v!.GetValue<int>()));
        var decoded = Sam3Serve.Imaging.Rendering.CocoRle.Decode(mask["counts"]!.GetValue<string>(), 64, 48);
        Assert.Equal(1, decoded[20 * 64 + 20]);
        Assert.Equal(0, decoded[0]);
        Assert.Equal(100, decoded.Count(b => b == 1));
    }

    [Fact]
    public async Task PostV1_Multipart_ReadsFilePartAndFormFields()
    {
        using var client = _service.Client();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(TestImages.Png(70, 50)), "image", "photo.png" },
            { new StringContent("[[30, 25]]"), "points_input" },
            { new StringContent("[1]"), "point_labels_input" },
            { new StringContent("false"), "return_preview" },
            { new StringContent("true"), "return_masks" },
            { new StringContent("0.7"), "threshold" },
        };
        var body = await HttpAssert.JsonAsync(await client.PostAsync("/v1/sam3-image", form));
        Assert.Equal("interactive", body["mode"]!.GetValue<string>());
        Assert.Equal(70, body["width"]!.GetValue<int>());
        Assert.Null(body["preview"]);
        Assert.StartsWith("data:image/png;base64,", body["masks"]![0]!["mask"]!.GetValue<string>());
        var seen = _service.Engine.Requests.Last();
        Assert.Equal(new PointPrompt(30, 25, 1), seen.Points.Single());
        Assert.Equal(0.7f, seen.Threshold);
    }

    [Fact]
    public async Task PostV1_MultipartWrongFieldType_Answers400NamingField()
    {
        using var client = _service.Client();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(TestImages.Png()), "image", "photo.png" },
            { new StringContent("lots"), "max_masks" },
        };
        var body = await HttpAssert.ErrorAsync(await client.PostAsync("/v1/sam3-image", form), HttpStatusCode.BadRequest, "max_masks");
        Assert.NotNull(body["errors"]!["max_masks"]);
    }

    [Fact]
    public async Task PostV1_BearerAuthorization_IsAccepted()
    {
        using var client = _service.Client(key: "");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _service.ApiKey);
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task PostV1_DataUriImage_IsAccepted()
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = "data:image/png;base64," + TestImages.Base64Png(), text_prompt = "red" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
