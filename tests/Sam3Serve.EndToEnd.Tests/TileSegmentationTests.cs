using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Sam3Serve.EndToEnd.Tests;

/// <summary>
/// Tiles through HTTP with the ONNX engine on the fixture bundle: tiny objects of a large image are found only with
/// tiles, land on the right pixels, are not reported twice, and a second concept on the same image runs no encoder.
/// </summary>
public sealed class TileSegmentationTests(FixtureService service) : IClassFixture<FixtureService>
{
    private static readonly SmallSquares Squares = SmallSquares.Create();
    private static readonly Lazy<byte[]> SquaresPng = new(Squares.Png);

    private static List<byte[]> Masks(JsonObject output, int width, int height) =>
        [.. output["masks"]!.AsArray().Select(m => Scene.Decode(m!["mask"]!, width, height))];

    [Fact]
    public async Task Concept_TinySquaresOnALargeImage_FoundOnlyWithTiles()
    {
        var png = SquaresPng.Value;
        var plain = await service.SegmentAsync(png, new { text_prompt = "red", image_id = "squares-plain" });
        var tiled = await service.SegmentAsync(png, new { text_prompt = "red", tiles = "auto", image_id = "squares-tiled" });

        var plainCovered = Squares.CoverCounts(Masks(plain, Squares.Width, Squares.Height)).Count(c => c > 0);
        var tiledMasks = Masks(tiled, Squares.Width, Squares.Height);
        var covers = Squares.CoverCounts(tiledMasks);
        Assert.Equal(0, plainCovered);
        Assert.True(covers.Count(c => c > 0) >= 36, $"tiles found {covers.Count(c => c > 0)} of {covers.Length} squares");
        Assert.DoesNotContain(tiledMasks, m => Squares.Covers(m, Squares.Blue));
        foreach (var mask in tiled["masks"]!.AsArray())
        {
            var tile = mask!["tile"];
            if (tile is not null)
            {
                Assert.InRange(tile[0]!.GetValue<int>(), 0, 2);
                Assert.InRange(tile[1]!.GetValue<int>(), 0, 3);
            }
        }
    }

    [Fact]
    public async Task Concept_ObjectCutByTileEdgesAndOneSeenByEveryPass_EachReportedOnce()
    {
        // 3 columns × 1 row on 4200×2800: tiles of 1615 px at x = 0, 1293, 2585. The red bar crosses both inner edges
        // (each tile sees under 40% of it, so IoU alone would keep the pieces); the green square lies in the overlap
        // of the first two tiles and in the whole image, seen whole by three passes.
        var scene = new Scene
        {
            Width = 4200, Height = 2800,
            Red = new SkiaSharp.SKRectI(100, 600, 4100, 800), Green = new SkiaSharp.SKRectI(1350, 1500, 1550, 1700), Blue = new SkiaSharp.SKRectI(0, 2790, 10, 2800),
        };
        var output = await service.SegmentAsync(scene.Png(), new { text_prompts = new[] { "red", "green" }, tiles = new { rows = 1, cols = 3 } });

        var masks = output["masks"]!.AsArray();
        Assert.Equal(2, masks.Count);
        var red = Assert.Single(masks, m => m!["prompt_index"]!.GetValue<int>() == 0)!;
        var green = Assert.Single(masks, m => m!["prompt_index"]!.GetValue<int>() == 1)!;
        // The union keeps the whole-image pass's coarser edge (its cells are 33×22 px; the mask may grow by about 1.5
        // cells per side): the whole bar, with a margin of at most 2.5 cells.
        var bar = Scene.Decode(red["mask"]!, scene.Width, scene.Height);
        Scene.AssertIoU(bar, scene.Width, scene.Red, 0.7);
        Scene.AssertBox(red["box"]!, scene.Red, 2.5 * 4200 / 126.0 + 2);
        Assert.True(Scene.IoU(bar, scene.Width, scene.Red) * bar.Count(b => b == 1) >= 0.99 * scene.Red.Width * scene.Red.Height, "the merged mask misses part of the bar");
        Scene.AssertIoU(Scene.Decode(green["mask"]!, scene.Width, scene.Height), scene.Width, scene.Green, 0.5);
        Scene.AssertBox(green["box"]!, scene.Green, 2.5 * 4200 / 126.0 + 2);
        // Equal scores: the whole-image pass is named as the finder of the square.
        Assert.Null(green["tile"]);
    }

    [Fact]
    public async Task Concept_AutoTilesOn6000x4000_Run13PassesAndReportThem()
    {
        var response = await PostAsync(new JsonObject { ["text_prompt"] = "red", ["tiles"] = "auto", ["image_id"] = "squares-passes" });
        Assert.Equal(13, response["metrics"]!["image_passes"]!.GetValue<double>());
    }

    [Fact]
    public async Task Concept_TilesOff_RunsOnePass()
    {
        var response = await PostAsync(new JsonObject { ["text_prompt"] = "red", ["image_id"] = "squares-one-pass" });
        Assert.Equal(1, response["metrics"]!["image_passes"]!.GetValue<double>());
        Assert.All(response["output"]!["masks"]!.AsArray(), m => Assert.Null(m!["tile"]));
    }

    [Fact]
    public async Task Concept_SecondConceptOnTheTiledImage_RunsNoEncoder()
    {
        var png = SquaresPng.Value;
        await service.SegmentAsync(png, new { text_prompt = "red", tiles = new { rows = 2, cols = 3 }, image_id = "squares-cache" });
        var encoderRuns = service.Engine.Counters.VisionEncoderRuns + service.Engine.Counters.TrunkPasses;

        await service.SegmentAsync(png, new { text_prompt = "blue", tiles = new { rows = 2, cols = 3 }, image_id = "squares-cache" });

        Assert.Equal(encoderRuns, service.Engine.Counters.VisionEncoderRuns + service.Engine.Counters.TrunkPasses);
    }

    /// <summary>Submits over /v2 and polls to the end: the tiles survive the job store and the body carries the metrics.</summary>
    private async Task<JsonObject> PostAsync(JsonObject body)
    {
        body["image"] = Convert.ToBase64String(SquaresPng.Value);
        var submit = await service.Client.PostAsJsonAsync("/v2/sam3-image", body);
        var submitted = JsonNode.Parse(await submit.Content.ReadAsStringAsync())!;
        Assert.True(submit.IsSuccessStatusCode, submitted.ToJsonString());
        var id = submitted["request_id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var poll = await service.Client.GetAsync($"/v2/requests/{id}");
            var result = JsonNode.Parse(await poll.Content.ReadAsStringAsync())!.AsObject();
            if (result["status"]?.GetValue<string>() is "COMPLETED")
            {
                return result;
            }
            Assert.NotEqual("FAILED", result["status"]?.GetValue<string>());
            Assert.True(DateTime.UtcNow < deadline, "the request did not finish in time");
            await Task.Delay(100);
        }
    }
}
