using System.Collections.Concurrent;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Tests.Support;
using Xunit;

namespace Sam3Serve.Engine.Tests.Tiling;

public sealed class TiledConceptTests(FixtureEngineHost host) : IClassFixture<FixtureEngineHost>
{
    private sealed class Recorder : IProgress<string>
    {
        public ConcurrentQueue<string> Stages { get; } = new();

        public void Report(string value) => Stages.Enqueue(value);
    }

    [Fact]
    public async Task SegmentAsync_Grid3x4_ReportsEachTileAndCountsThePasses()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"], Tiles = new TileGrid { Rows = 3, Cols = 4 } };
        var progress = new Recorder();

        var result = await host.Engine.SegmentAsync(request, scene.Image, progress, TestContext.Current.CancellationToken);

        Assert.Equal(13, result.ImagePasses);
        Assert.Contains("tile 3 of 12", progress.Stages);
        Assert.Contains("tile 12 of 12", progress.Stages);
        Assert.Contains(progress.Stages, s => s.StartsWith("tile 3 of 12: ", StringComparison.Ordinal));
        // Every pass sees the red rectangle; after the merge it is one object on the original pixels.
        var red = Assert.Single(result.Objects);
        MaskAssert.MatchesRect(red.Mask, scene.Red, edgeTolerance: 4);
    }

    [Fact]
    public async Task SegmentAsync_BoxOnlyWithTiles_RunsOnlyTheTilesHoldingAnExemplar()
    {
        var scene = SyntheticImage.Landscape();
        var g = scene.Green;
        var box = new BoxPrompt(g.CentreX - 2, g.CentreY - 2, g.CentreX + 2, g.CentreY + 2);
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, Boxes = [box], Tiles = new TileGrid { Rows = 2, Cols = 2 }, TileOverlap = 0 };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(2, result.ImagePasses);
        var green = Assert.Single(result.Objects);
        MaskAssert.MatchesRect(green.Mask, scene.Green, edgeTolerance: 4);
    }

    [Fact]
    public async Task SegmentAsync_NoTiles_IsOnePassWithoutTilePositions()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["blue"] };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.ImagePasses);
        Assert.Null(Assert.Single(result.Objects).Tile);
    }
}
