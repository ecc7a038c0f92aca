using Sam3Serve.Contracts.Requests;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Tests.Support;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class InteractiveModeTests(FixtureEngineHost host) : IClassFixture<FixtureEngineHost>
{
    [Fact]
    public async Task SegmentAsync_PointOnGreen_SelectsTheGreenRectangle()
    {
        var scene = SyntheticImage.Landscape();
        var g = scene.Green;
        var request = new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(g.CentreX, g.CentreY, 1)] };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        var single = Assert.Single(result.Objects);
        // The colour-match candidate is index 1 of 3; the engine must pick it by predicted IoU, not position.
        Assert.Equal(FixtureGeometry.PureColourIou, single.Score, 4);
        MaskAssert.MatchesRect(single.Mask, g, edgeTolerance: 2);
        MaskAssert.BoxNear(g.InclusiveBox, single.Box, 2f);
    }

    [Fact]
    public async Task SegmentAsync_PointInPortraitImage_ScalesByTheStretchRule()
    {
        // A point near the bottom of a tall image: a wrong (e.g. longest-side) scaling lands on another colour.
        var scene = SyntheticImage.Portrait();
        var b = scene.Blue;
        var request = new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(b.X0 + 8, b.Y1 - 8, 1)] };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, b, 2);
    }

    [Fact]
    public async Task SegmentAsync_BoxModeObjectTwoBoxes_ReturnsOneObjectPerBox()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest
        {
            Mode = SegmentationMode.Interactive,
            BoxMode = BoxMode.Object,
            Boxes = [Around(scene.Red), Around(scene.Blue)],
        };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Objects.Count);
        MaskAssert.MatchesRect(result.Objects[0].Mask, scene.Red, 2);
        MaskAssert.MatchesRect(result.Objects[1].Mask, scene.Blue, 2);
    }

    [Fact]
    public async Task SegmentAsync_PointWithBox_UsesBoth()
    {
        var scene = SyntheticImage.Portrait();
        var r = scene.Red;
        var request = new SegmentationRequest
        {
            Mode = SegmentationMode.Interactive,
            Points = [new PointPrompt(r.CentreX, r.CentreY, 1)],
            Boxes = [Around(r)],
        };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, r, 2);
    }

    private static BoxPrompt Around(PixelRect rect) => new(rect.X0, rect.Y0, rect.X1, rect.Y1);
}
