using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Tests.Support;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class AutomaticModeTests(FixtureEngineHost host) : IClassFixture<FixtureEngineHost>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SegmentAsync_Automatic_FindsOneMaskPerColourRegion(bool landscape)
    {
        var scene = landscape ? SyntheticImage.Landscape() : SyntheticImage.Portrait();
        var request = new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 16 };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        // Red, green, blue and the white background.
        Assert.Equal(4, result.Objects.Count);
        foreach (var rect in new[] { scene.Red, scene.Green, scene.Blue })
        {
            var match = result.Objects.Where(o => Math.Abs(o.Box[0] - rect.X0) <= 2 && Math.Abs(o.Box[1] - rect.Y0) <= 2).ToList();
            MaskAssert.MatchesRect(Assert.Single(match).Mask, rect, 2);
        }
        Assert.All(result.Objects, o => Assert.True(o.Score > request.PredIouThresh));
        Assert.True(result.Objects.Zip(result.Objects.Skip(1)).All(p => p.First.Score >= p.Second.Score), "ordered by score");
    }

    [Fact]
    public async Task SegmentAsync_AutomaticMaxMasksTwo_KeepsTwo()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 8, MaxMasks = 2 };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Objects.Count);
    }

    [Fact]
    public async Task SegmentAsync_AutomaticIouThresholdAboveFixtureIou_FindsNothing()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 8, PredIouThresh = 0.96f };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Empty(result.Objects);
    }
}
