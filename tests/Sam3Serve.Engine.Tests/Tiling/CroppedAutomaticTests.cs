using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Tests.Support;
using Sam3Serve.Engine.Tiling;
using Xunit;

namespace Sam3Serve.Engine.Tests.Tiling;

public sealed class CroppedAutomaticTests(FixtureEngineHost host) : IClassFixture<FixtureEngineHost>
{
    [Fact]
    public void Boxes_OneLayer_FollowSam1sFormula()
    {
        // 1500×1000: overlap int(512/1500 · 1000) = 341; crop 921×671; x0 ∈ {0, 580}, y0 ∈ {0, 330}; column by column.
        var boxes = CropLayers.Boxes(1, 1500, 1000);

        Assert.Equal(
            [
                (new TileRect(0, 0, 0, 0, 1500, 1000), 0),
                (new TileRect(0, 0, 0, 0, 921, 671), 1),
                (new TileRect(1, 0, 0, 330, 921, 670), 1),
                (new TileRect(0, 1, 580, 0, 920, 671), 1),
                (new TileRect(1, 1, 580, 330, 920, 670), 1),
            ],
            boxes);
        Assert.Equal(1 + 4 + 16, CropLayers.Boxes(2, 1500, 1000).Count);
    }

    [Theory]
    [InlineData(2, 2, 1)]
    [InlineData(4, 4, 2)]
    [InlineData(3, 4, 2)]
    [InlineData(1, 1, 0)]
    [InlineData(8, 8, 3)]
    public void LayersFor_Grid_IsTheLayerThatReachesIt(int rows, int cols, int layers) =>
        Assert.Equal(layers, CropLayers.LayersFor(new TileGrid { Rows = rows, Cols = cols }, 1000, 1000));

    [Fact]
    public void NearCropEdge_DropsOnlyBoxesAtAnInnerCropEdge()
    {
        var crop = new TileRect(0, 0, 0, 0, 737, 537);
        Assert.True(CropLayers.NearCropEdge([100, 100, 730, 300], crop, 1200, 800));
        Assert.False(CropLayers.NearCropEdge([5, 5, 300, 300], crop, 1200, 800)); // at the image's own edge
        Assert.False(CropLayers.NearCropEdge([100, 100, 700, 500], crop, 1200, 800));
    }

    [Fact]
    public async Task SegmentAsync_AutomaticWithTiles_RunsTheCropsAndFindsEachRegionOnce()
    {
        var red = new PixelRect(80, 120, 440, 480);
        var green = new PixelRect(600, 160, 1120, 360);
        var blue = new PixelRect(640, 520, 920, 740);
        var image = SyntheticImage.Create(1200, 800, SyntheticImage.White, (red, SyntheticImage.Red), (green, SyntheticImage.Green), (blue, SyntheticImage.Blue));
        var plain = new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 16 };

        var without = await host.Engine.SegmentAsync(plain, image, TestContext.Current.CancellationToken);
        var with = await host.Engine.SegmentAsync(plain with { Tiles = new TileGrid { Rows = 2, Cols = 2 } }, image, TestContext.Current.CancellationToken);

        Assert.Equal(1, without.ImagePasses);
        Assert.Equal(5, with.ImagePasses);
        // Red, green, blue and the background, as without crops: partial regions at inner crop edges are dropped, and
        // a region seen whole by a crop and the whole image is kept once.
        Assert.Equal(4, with.Objects.Count);
        foreach (var rect in new[] { red, green, blue })
        {
            var match = with.Objects.Where(o => Math.Abs(o.Box[0] - rect.X0) <= 4 && Math.Abs(o.Box[1] - rect.Y0) <= 4).ToList();
            MaskAssert.MatchesRect(Assert.Single(match).Mask, rect, 4);
        }
        Assert.True(with.Objects.Zip(with.Objects.Skip(1)).All(p => p.First.Score >= p.Second.Score), "ordered by score");
    }
}
