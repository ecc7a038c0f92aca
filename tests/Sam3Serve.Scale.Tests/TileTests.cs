using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>
/// Tiles on the real-architecture graphs: every tile is a pass of the real encoder at its real input size, the passes
/// are cached per tile, and what comes back is well formed on the original image (the weights are random, so only
/// what holds whatever the weights is checked).
/// </summary>
[Collection(ScaleCollection.Name)]
[Trait("Category", "Scale")]
public sealed class TileTests(ScaleEngine scale)
{
    private static readonly RgbImage Large = ScaleEngine.Image(seed: 7, width: 1800, height: 1200);

    [Fact]
    public async Task Concept2x2_RunsFivePasses_CachesThem_AndMapsObjectsOntoTheImage()
    {
        ScaleBundle.Require();
        var engine = scale.Engine!;
        var grid = new TileGrid { Rows = 2, Cols = 2 };
        var before = engine.Counters.TrunkPasses;

        var first = await Run(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["car"], Threshold = 0.1f, Tiles = grid, ImageId = "scale-tiles" });
        Assert.Equal(5, first.ImagePasses);
        Assert.Equal(before + 5, engine.Counters.TrunkPasses);

        var second = await Run(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["tree"], Threshold = 0.1f, Tiles = grid, ImageId = "scale-tiles" });
        Assert.Equal(5, second.ImagePasses);
        Assert.Equal(before + 5, engine.Counters.TrunkPasses);
        Assert.Equal(0, second.StageSeconds["encoder"]);

        foreach (var o in first.Objects.Concat(second.Objects))
        {
            Assert.True(float.IsFinite(o.Score) && o.Score is > 0.1f and <= 1, $"score {o.Score}");
            Assert.All(o.Box, v => Assert.True(float.IsFinite(v), $"box value {v}"));
            Assert.Equal(Large.Width, o.Mask.Width);
            Assert.Equal(Large.Height, o.Mask.Height);
            if (o.Tile is { } tile)
            {
                Assert.InRange(tile.Row, 0, 1);
                Assert.InRange(tile.Col, 0, 1);
            }
            var row = new byte[Large.Width];
            o.Mask.FillRow(Large.Height / 2, row);
            Assert.All(row, b => Assert.True(b is 0 or 1));
        }
    }

    [Fact]
    public async Task Automatic2x2_RunsTheCropLayer()
    {
        ScaleBundle.Require();
        var request = new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 2, PredIouThresh = 0, Tiles = new TileGrid { Rows = 2, Cols = 2 } };

        var result = await Run(request, ScaleEngine.Image(seed: 8, width: 1200, height: 900));

        Assert.Equal(5, result.ImagePasses);
        foreach (var o in result.Objects)
        {
            Assert.True(float.IsFinite(o.Score), $"score {o.Score}");
            Assert.Equal(1200, o.Mask.Width);
            Assert.Equal(900, o.Mask.Height);
        }
    }

    private async Task<SegmentationResult> Run(SegmentationRequest request, RgbImage image) =>
        await scale.Engine!.SegmentAsync(request, image, TestContext.Current.CancellationToken);

    private Task<SegmentationResult> Run(SegmentationRequest request) => Run(request, Large);
}
