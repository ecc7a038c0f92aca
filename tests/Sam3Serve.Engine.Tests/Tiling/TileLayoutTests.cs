using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Tiling;
using Xunit;

namespace Sam3Serve.Engine.Tests.Tiling;

public sealed class TileLayoutTests
{
    private static readonly TileGrid Auto = new() { Auto = true };

    [Fact]
    public void Plan_Auto6000x4000_Gives3RowsOf4Tiles()
    {
        var tiles = TileLayout.Plan(Auto, 0.2f, 6000, 4000);

        Assert.Equal(12, tiles.Count);
        Assert.Equal((3, 4), TileLayout.GridFor(Auto, 6000, 4000));
        Assert.Equal(new TileRect(0, 0, 0, 0, 1765, 1539), tiles[0]);
        Assert.Equal(new TileRect(2, 3, 6000 - 1765, 4000 - 1539, 1765, 1539), tiles[^1]);
    }

    [Theory]
    [InlineData(2016, 2016)]
    [InlineData(1280, 720)]
    [InlineData(100, 2016)]
    public void Plan_AutoOnAnImageUpTo2016_GivesNoTiles(int width, int height) =>
        Assert.Empty(TileLayout.Plan(Auto, 0.2f, width, height));

    [Theory]
    [InlineData(4, 4)]
    [InlineData(6, 6)]
    [InlineData(1, 1)]
    public void Plan_AutoUnderACap_StaysWithinIt(int cap, int expectedAtMost)
    {
        var (rows, cols) = TileLayout.GridFor(Auto with { MaxTiles = cap }, 6000, 4000);
        Assert.InRange(rows * cols, 1, expectedAtMost);
    }

    [Fact]
    public void Plan_OneByOne_GivesNoTiles() =>
        Assert.Empty(TileLayout.Plan(new TileGrid { Rows = 1, Cols = 1 }, 0.2f, 5000, 5000));

    [Theory]
    [InlineData(2, 3, 0f, 601, 400)]
    [InlineData(3, 4, 0.2f, 6000, 4000)]
    [InlineData(8, 8, 0.5f, 1000, 750)]
    [InlineData(8, 8, 0.3f, 5, 7)]
    public void Plan_Grid_CoversTheImageAndSharesTheOverlap(int rows, int cols, float overlap, int width, int height)
    {
        var tiles = TileLayout.Plan(new TileGrid { Rows = rows, Cols = cols }, overlap, width, height);

        Assert.Equal(rows * cols, tiles.Count);
        var covered = new bool[width * height];
        foreach (var t in tiles)
        {
            Assert.InRange(t.X, 0, width - t.Width);
            Assert.InRange(t.Y, 0, height - t.Height);
            for (var y = t.Y; y < t.Y + t.Height; y++)
            {
                for (var x = t.X; x < t.X + t.Width; x++)
                {
                    covered[y * width + x] = true;
                }
            }
        }
        Assert.All(covered, Assert.True);
        // Neighbours share about overlap × tile width (to a pixel of rounding), when the image is large enough to tell.
        if (width >= 100)
        {
            var shared = tiles[0].X + tiles[0].Width - tiles[1].X;
            Assert.InRange(shared, overlap * tiles[0].Width - 1, overlap * tiles[0].Width + 1);
        }
    }

    [Fact]
    public void BoxesIn_KeepsBoxesCentredInTheTile_InItsPixels_Clipped()
    {
        var tile = new TileRect(0, 1, 100, 50, 200, 100);
        var boxes = TiledConceptRunner.BoxesIn(
            [new BoxPrompt(150, 60, 170, 80), new BoxPrompt(90, 60, 130, 80, Positive: false), new BoxPrompt(0, 0, 20, 20)], tile);

        Assert.Equal([new BoxPrompt(50, 10, 70, 30), new BoxPrompt(0, 10, 30, 30, Positive: false)], boxes);
    }
}
