using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Tests.Infrastructure;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>The request's fields, types, ranges, string-encoded arrays and mode selection, over HTTP.</summary>
public sealed class ValidationTests : IAsyncLifetime
{
    private ServiceFixture _service = null!;

    public async ValueTask InitializeAsync() => _service = await ServiceFixture.StartAsync();

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    [Theory]
    [InlineData("threshold", "0.05", "threshold")]
    [InlineData("threshold", "1.5", "threshold")]
    [InlineData("threshold", "\"high\"", "threshold")]
    [InlineData("points_per_side", "129", "points_per_side")]
    [InlineData("points_per_side", "-1", "points_per_side")]
    [InlineData("points_per_side", "2.5", "points_per_side")]
    [InlineData("pred_iou_thresh", "0.2", "pred_iou_thresh")]
    [InlineData("max_masks", "101", "max_masks")]
    [InlineData("max_masks", "1e400", "max_masks")]
    [InlineData("return_preview", "\"yes\"", "return_preview")]
    [InlineData("return_masks", "1", "return_masks")]
    [InlineData("mask_format", "\"jpeg\"", "mask_format")]
    [InlineData("box_mode", "\"everything\"", "box_mode")]
    [InlineData("text_prompt", "42", "text_prompt")]
    [InlineData("text_prompt", "\"   \"", "text_prompt")]
    [InlineData("text_prompts", "[]", "text_prompts")]
    [InlineData("text_prompts", "[1, 2]", "text_prompts")]
    [InlineData("points_input", "\"[[1, 2, 3]]\"", "points_input")]
    [InlineData("points_input", "\"[[1, NaN]]\"", "points_input")]
    [InlineData("points_input", "\"not json\"", "points_input")]
    [InlineData("points_input", "{\"x\": 1}", "points_input")]
    [InlineData("points_input", "\"[[1e400, 2]]\"", "points_input")]
    [InlineData("point_labels_input", "\"[2]\"", "point_labels_input")]
    [InlineData("boxes_input", "\"[[10, 10, 5, 20]]\"", "boxes_input")]
    [InlineData("boxes_input", "\"[[10, 10, 20, 10]]\"", "boxes_input")]
    [InlineData("boxes_input", "\"[[10, 10, 20]]\"", "boxes_input")]
    [InlineData("image", "123", "image")]
    [InlineData("image_id", "\"\"", "image_id")]
    [InlineData("webhook", "42", "webhook")]
    [InlineData("webhook", "\"ftp://example.com/hook\"", "webhook")]
    [InlineData("webhook", "\"not a url\"", "webhook")]
    [InlineData("tiles", "\"sideways\"", "tiles")]
    [InlineData("tiles", "42", "tiles")]
    [InlineData("tiles", "[3, 4]", "tiles")]
    [InlineData("tiles", "{\"rows\": 9, \"cols\": 1}", "tiles")]
    [InlineData("tiles", "{\"rows\": 0, \"cols\": 2}", "tiles")]
    [InlineData("tiles", "{\"rows\": 2}", "tiles")]
    [InlineData("tiles", "{\"rows\": 2, \"cols\": 1.5}", "tiles")]
    [InlineData("tiles", "{\"rows\": 2, \"cols\": 2, \"depth\": 1}", "tiles")]
    [InlineData("tiles", "{\"rows\": 5, \"cols\": 4}", "tiles")] // 20 tiles, over the default --max-tiles of 16
    [InlineData("tiles", "\"{\\\"rows\\\": 8, \\\"cols\\\": 8}\"", "tiles")] // written as a string, as a form field is
    [InlineData("tile_overlap", "0.6", "tile_overlap")]
    [InlineData("tile_overlap", "-0.1", "tile_overlap")]
    [InlineData("tile_overlap", "\"wide\"", "tile_overlap")]
    public async Task PostV1_FieldOutOfRuleOrType_Answers400NamingTheField(string field, string json, string named)
    {
        var body = new JsonObject { ["image"] = TestImages.Base64Png(), ["text_prompt"] = "red" };
        body[field] = JsonNode.Parse(json);
        using var client = _service.Client();
        var error = await HttpAssert.ErrorAsync(await client.PostRawAsync("/v1/sam3-image", body.ToJsonString()), HttpStatusCode.BadRequest, named);
        Assert.NotNull(error["errors"]?[named]);
        Assert.Equal(0, _service.Engine.Calls);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1, 2]")]
    [InlineData("\"image\"")]
    [InlineData("{\"image\": \"abc\", \"threshold\": NaN}")]
    [InlineData("")]
    [InlineData("{\"image\": \"abc\", \"image\": \"def\", \"text_prompt\": \"red\"}")] // duplicate names (were a 500)
    [InlineData("{\"image\": \"abc\", \"points_input\": \"{\\\"a\\\": 1, \\\"a\\\": 2}\"}")]
    [InlineData("{\"image\": \"abc\", \"text_prompt\": \"\\udc00red\"}")] // a lone surrogate escape (was a 500)
    [InlineData("{\"image\": \"abc\", \"text_prompts\": \"[\\\"\\\\ud800\\\"]\"}")] // the same inside an embedded array
    public async Task PostV1_MalformedJson_Answers400(string json)
    {
        using var client = _service.Client();
        await HttpAssert.ErrorAsync(await client.PostRawAsync("/v1/sam3-image", json), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PostV1_InvalidUtf8InAString_Answers400()
    {
        // The fault suite found these as 500s: System.Text.Json checks a string's UTF-8 only when it reads it.
        using var client = _service.Client();
        using var content = new ByteArrayContent([.. "{\"image\": \"abc\", \"text_prompt\": \"re"u8.ToArray(), 0xC3, 0x28, .. "d\"}"u8.ToArray()]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        await HttpAssert.ErrorAsync(await client.PostAsync("/v1/sam3-image", content), HttpStatusCode.BadRequest, "UTF-8");
    }

    [Fact]
    public async Task PostV1_MissingImage_Answers400()
    {
        using var client = _service.Client();
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { text_prompt = "red" }), HttpStatusCode.BadRequest, "image");
    }

    [Fact]
    public async Task PostV1_UnknownFields_AreIgnored()
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", base64 = false, seed = 42 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task PostV1_SeveralBrokenFields_ListsEveryOne()
    {
        using var client = _service.Client();
        var error = await HttpAssert.ErrorAsync(
            await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), threshold = 9, max_masks = -1 }),
            HttpStatusCode.BadRequest);
        Assert.NotNull(error["errors"]!["threshold"]);
        Assert.NotNull(error["errors"]!["max_masks"]);
    }

    public static TheoryData<string, SegmentationMode, string> ModeCases => new()
    {
        { """{"points_input": "[[10, 10]]"}""", SegmentationMode.Interactive, "interactive" },
        { """{"points_input": [[10, 10], [20, 20]], "point_labels_input": [[1, 0]]}""", SegmentationMode.Interactive, "interactive" },
        { """{"points_input": "[[10, 10]]", "boxes_input": "[[0, 0, 30, 30]]", "text_prompt": "red"}""", SegmentationMode.Interactive, "interactive" },
        { """{"text_prompt": "red"}""", SegmentationMode.Concept, "concept" },
        { """{"text_prompts": ["red", "blue"]}""", SegmentationMode.Concept, "concept" },
        { """{"boxes_input": "[[1, 2, 30, 40]]"}""", SegmentationMode.Concept, "concept" },
        { """{"boxes_input": [[1, 2, 30, 40]], "box_mode": "object"}""", SegmentationMode.Interactive, "interactive" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_mode": "object", "text_prompt": "red"}""", SegmentationMode.Concept, "concept" },
        { """{}""", SegmentationMode.Automatic, "automatic" },
        { """{"points_per_side": 8, "points_input": ""}""", SegmentationMode.Automatic, "automatic" },
    };

    [Theory]
    [MemberData(nameof(ModeCases))]
    public async Task PostV1_ModeSelection_FollowsContractOrder(string fields, SegmentationMode expected, string modeName)
    {
        var body = JsonNode.Parse(fields)!.AsObject();
        body["image"] = TestImages.Base64Png();
        body["return_masks"] = true;
        using var client = _service.Client();
        var json = await HttpAssert.JsonAsync(await client.PostRawAsync("/v1/sam3-image", body.ToJsonString()));
        Assert.Equal(modeName, json["mode"]!.GetValue<string>());
        Assert.Equal(expected, _service.Engine.Requests.Last().Mode);
    }

    [Fact]
    public async Task PostV1_PointsWithSeveralBoxes_Answers400()
    {
        using var client = _service.Client();
        await HttpAssert.ErrorAsync(
            await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), points_input = "[[1, 1]]", boxes_input = "[[0, 0, 5, 5], [5, 5, 9, 9]]" }),
            HttpStatusCode.BadRequest, "boxes_input");
    }

    [Fact]
    public async Task PostV1_NoPromptAndAutomaticOff_Answers400()
    {
        using var client = _service.Client();
        await HttpAssert.ErrorAsync(
            await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), points_per_side = 0 }),
            HttpStatusCode.BadRequest, "no prompt given and automatic mode is off");
    }

    [Theory]
    [InlineData("[[1]]", new[] { 1, 1 })]
    [InlineData("[0]", new[] { 0, 0 })]
    [InlineData("[[1, 0]]", new[] { 1, 0 })]
    [InlineData("[0, 1]", new[] { 0, 1 })]
    public async Task PostV1_PointLabels_FlatNestedAndBroadcast(string labels, int[] expected)
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), points_input = "[[5, 5], [9, 9]]", point_labels_input = labels });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, _service.Engine.Requests.Last().Points.Select(p => p.Label));
    }

    [Fact]
    public async Task PostV1_LabelCountMismatch_Answers400()
    {
        using var client = _service.Client();
        await HttpAssert.ErrorAsync(
            await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), points_input = "[[5, 5], [9, 9], [1, 1]]", point_labels_input = "[1, 0]" }),
            HttpStatusCode.BadRequest, "point_labels_input");
    }

    [Fact]
    public async Task PostV1_PointOutsideImage_Answers400()
    {
        using var client = _service.Client();
        await HttpAssert.ErrorAsync(
            await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(64, 48), points_input = "[[500, 5]]" }),
            HttpStatusCode.BadRequest, "points_input");
    }

    [Fact]
    public async Task PostV1_ParametersReachTheEngine()
    {
        using var client = _service.Client();
        await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "  red cup ", threshold = 0.3, max_masks = 2, image_id = "img-1", pred_iou_thresh = 0.9, points_per_side = 16 });
        var seen = _service.Engine.Requests.Last();
        Assert.Equal(["red cup"], seen.TextPrompts);
        Assert.Equal(0.3f, seen.Threshold);
        Assert.Equal(2, seen.MaxMasks);
        Assert.Equal("img-1", seen.ImageId);
        Assert.Equal(0.9f, seen.PredIouThresh);
        Assert.Equal(16, seen.PointsPerSide);
    }

    [Fact]
    public async Task PostV1_MaxMasks_CapsAutomaticMasksByScore()
    {
        using var client = _service.Client();
        var body = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), max_masks = 2, return_masks = true }));
        Assert.Equal(2, body["count"]!.GetValue<int>());
        Assert.Equal([0.97, 0.93], body["masks"]!.AsArray().Select(m => Math.Round(m!["score"]!.GetValue<double>(), 2)));
    }

    // box_labels_input: one label per box, 0/1, written like point_labels_input; a 0 only in concept mode.
    public static TheoryData<string, string> BadBoxLabels => new()
    {
        { """{"boxes_input": "[[1, 2, 30, 40], [5, 5, 20, 20]]", "box_labels_input": "[1]"}""", "has 1 label(s) for 2 box(es)" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[1, 0]"}""", "has 2 label(s) for 1 box(es)" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[[1], [0]]"}""", "every label must be 0 or 1" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[2]"}""", "every label must be 0 or 1" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[-1]"}""", "every label must be 0 or 1" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[0.5]"}""", "every label must be 0 or 1" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[true]"}""", "every label must be 0 or 1" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[\"0\"]"}""", "every label must be 0 or 1" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[]"}""", "non-empty array" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "nope"}""", "not a valid JSON array" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": 0}""", "non-empty array" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": {"0": 1}}""", "non-empty array" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": true}""", "non-empty array" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[0]", "box_mode": "object"}""", "box_mode \"object\"" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[0]", "box_mode": "object", "text_prompt": "red"}""", "box_mode \"object\"" },
        { """{"boxes_input": "[[1, 2, 30, 40]]", "box_labels_input": "[0]", "points_input": "[[5, 5]]"}""", "points_input" },
        { """{"text_prompt": "red", "box_labels_input": "[0]"}""", "boxes_input gives no boxes" },
        { """{"text_prompt": "red", "box_labels_input": "[1]"}""", "boxes_input gives no boxes" },
    };

    [Theory]
    [MemberData(nameof(BadBoxLabels))]
    public async Task PostV1_BadBoxLabels_Answers400NamingBoxLabelsInput(string fields, string rule)
    {
        var body = JsonNode.Parse(fields)!.AsObject();
        body["image"] = TestImages.Base64Png();
        using var client = _service.Client();
        var error = await HttpAssert.ErrorAsync(await client.PostRawAsync("/v1/sam3-image", body.ToJsonString()), HttpStatusCode.BadRequest, "box_labels_input");
        var rules = error["errors"]?["box_labels_input"]?.AsArray().Select(r => r!.GetValue<string>()).ToList();
        Assert.NotNull(rules);
        Assert.Contains(rules, r => r.Contains(rule, StringComparison.Ordinal));
        Assert.Null(error["errors"]!["boxes_input"]);
        Assert.Equal(0, _service.Engine.Calls);
    }

    [Theory]
    [MemberData(nameof(BadBoxLabels))]
    public async Task PostV2_BadBoxLabels_Is400AtSubmitAndNeverQueued(string fields, string rule)
    {
        var body = JsonNode.Parse(fields)!.AsObject();
        body["image"] = TestImages.Base64Png();
        using var client = _service.Client();
        var error = await HttpAssert.ErrorAsync(await client.PostRawAsync("/v2/sam3-image", body.ToJsonString()), HttpStatusCode.BadRequest, "box_labels_input");
        Assert.Contains(error["errors"]!["box_labels_input"]!.AsArray(), r => r!.GetValue<string>().Contains(rule, StringComparison.Ordinal));
        Assert.Equal(0, await _service.Services.GetRequiredService<IJobStore>().CountPendingAsync(CancellationToken.None));
        Assert.Equal(0, _service.Engine.Calls);
    }

    [Fact]
    public async Task PostV1_BoxLabelsWithBrokenBoxes_NamesOnlyBoxesInput()
    {
        using var client = _service.Client();
        var error = await HttpAssert.ErrorAsync(
            await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), boxes_input = "[[1, 2, 30]]", box_labels_input = "[0]" }),
            HttpStatusCode.BadRequest, "boxes_input");
        Assert.Null(error["errors"]!["box_labels_input"]);
    }

    [Theory]
    [InlineData("[1, 0]", new[] { true, false })]
    [InlineData("[[0, 1]]", new[] { false, true })]
    [InlineData("[[0, 0]]", new[] { false, false })]
    [InlineData("", new[] { true, true })] // an empty form field is "not given"
    public async Task PostV1_BoxLabels_ReachTheEngineBoxByBox(string labels, bool[] positive)
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", boxes_input = "[[1, 2, 30, 40], [5, 5, 20, 20]]", box_labels_input = labels });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = _service.Engine.Requests.Last();
        Assert.Equal(SegmentationMode.Concept, seen.Mode);
        Assert.Equal(positive, seen.Boxes.Select(b => b.Positive));
        Assert.Equal([1f, 5f], seen.Boxes.Select(b => b.X1));
    }

    [Fact]
    public async Task PostV1_BoxLabelsAsRealArray_AreAccepted()
    {
        using var client = _service.Client();
        var body = new JsonObject
        {
            ["image"] = TestImages.Base64Png(),
            ["boxes_input"] = JsonNode.Parse("[[1, 2, 30, 40], [5, 5, 20, 20]]"),
            ["box_labels_input"] = JsonNode.Parse("[1, 0]"),
        };
        Assert.Equal(HttpStatusCode.OK, (await client.PostRawAsync("/v1/sam3-image", body.ToJsonString())).StatusCode);
        Assert.Equal([true, false], _service.Engine.Requests.Last().Boxes.Select(b => b.Positive));
    }

    [Fact]
    public async Task PostV1_AllPositiveLabelsWithObjectBoxes_AreAllowed()
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), boxes_input = "[[1, 2, 30, 40]]", box_labels_input = "[1]", box_mode = "object" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = _service.Engine.Requests.Last();
        Assert.Equal(SegmentationMode.Interactive, seen.Mode);
        Assert.True(Assert.Single(seen.Boxes).Positive);
    }

    [Fact]
    public async Task PostV1_BoxLabelsInMultipartForm_ReachTheEngine()
    {
        using var client = _service.Client();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Convert.FromBase64String(TestImages.Base64Png())), "image", "image.png" },
            { new StringContent("[[1, 2, 30, 40], [5, 5, 20, 20]]"), "boxes_input" },
            { new StringContent("[[0, 1]]"), "box_labels_input" },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/sam3-image", form)).StatusCode);
        Assert.Equal([false, true], _service.Engine.Requests.Last().Boxes.Select(b => b.Positive));
    }

    [Fact]
    public async Task PostV2_NegativeBox_SurvivesTheStoreAndReachesTheWorkerAsNegative()
    {
        using var client = _service.Client();
        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image",
            new { image = TestImages.Base64Png(), text_prompt = "red", boxes_input = "[[1, 2, 30, 40], [5, 5, 20, 20]]", box_labels_input = "[0, 1]" }));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());
        var seen = Assert.Single(_service.Engine.Requests);
        Assert.Equal([false, true], seen.Boxes.Select(b => b.Positive));
    }

    public static TheoryData<string, int, int> GoodTiles => new()
    {
        { "\"off\"", 0, 0 },
        { "\"auto\"", -1, -1 },
        { "\"AUTO\"", -1, -1 },
        { "{\"rows\": 4, \"cols\": 4}", 4, 4 },
        { "{\"rows\": 1, \"cols\": 8}", 1, 8 },
        { "\"{\\\"rows\\\": 2, \\\"cols\\\": 3}\"", 2, 3 },
    };

    [Theory]
    [MemberData(nameof(GoodTiles))]
    public async Task PostV2_Tiles_SurviveTheStoreAndReachTheWorker(string tiles, int rows, int cols)
    {
        using var client = _service.Client();
        var body = new JsonObject { ["image"] = TestImages.Base64Png(), ["text_prompt"] = "red", ["tiles"] = JsonNode.Parse(tiles), ["tile_overlap"] = 0.35 };
        var submit = await HttpAssert.JsonAsync(await client.PostRawAsync("/v2/sam3-image", body.ToJsonString()));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());
        var seen = Assert.Single(_service.Engine.Requests);
        if (rows == 0)
        {
            Assert.Null(seen.Tiles);
            return;
        }
        Assert.NotNull(seen.Tiles);
        Assert.Equal(rows < 0, seen.Tiles.Auto);
        Assert.Equal(Math.Max(rows, 0), seen.Tiles.Rows);
        Assert.Equal(Math.Max(cols, 0), seen.Tiles.Cols);
        Assert.Equal(16, seen.Tiles.MaxTiles);
        Assert.Equal(0.35f, seen.TileOverlap);
    }

    [Theory]
    [InlineData("""{"points_input": "[[5, 5]]", "tiles": "auto"}""")]
    [InlineData("""{"boxes_input": "[[1, 2, 30, 40]]", "box_mode": "object", "tiles": {"rows": 2, "cols": 2}}""")]
    [InlineData("""{"text_prompt": "red", "tiles": {"rows": 4, "cols": 5}}""")]
    public async Task PostV2_BadTiles_Is400AtSubmitAndNeverQueued(string fields)
    {
        var body = JsonNode.Parse(fields)!.AsObject();
        body["image"] = TestImages.Base64Png();
        using var client = _service.Client();
        var error = await HttpAssert.ErrorAsync(await client.PostRawAsync("/v2/sam3-image", body.ToJsonString()), HttpStatusCode.BadRequest, "tiles");
        Assert.NotNull(error["errors"]!["tiles"]);
        Assert.Equal(0, await _service.Services.GetRequiredService<IJobStore>().CountPendingAsync(CancellationToken.None));
        Assert.Equal(0, _service.Engine.Calls);
    }

    [Fact]
    public async Task PostV1_TilesOverARaisedCap_AreAcceptedUpToIt()
    {
        await using var service = await ServiceFixture.StartAsync(o => o.MaxTiles = 64);
        using var client = service.Client();
        var ok = await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", tiles = new { rows = 8, cols = 8 } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(64, service.Engine.Requests.Last().Tiles!.MaxTiles);
    }

    [Fact]
    public async Task PostV1_TilesWithALowCap_NameTheCap()
    {
        await using var service = await ServiceFixture.StartAsync(o => o.MaxTiles = 4);
        using var client = service.Client();
        var error = await HttpAssert.ErrorAsync(
            await client.PostJsonAsync("/v1/sam3-image", new { image = TestImages.Base64Png(), text_prompt = "red", tiles = new { rows = 2, cols = 3 } }),
            HttpStatusCode.BadRequest, "tiles");
        Assert.Contains("--max-tiles", error["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
