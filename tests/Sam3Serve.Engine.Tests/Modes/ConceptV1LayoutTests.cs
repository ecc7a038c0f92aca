using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Tests.Support;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class ConceptV1LayoutTests(FixtureV1EngineHost host) : IClassFixture<FixtureV1EngineHost>
{
    [Fact]
    public async Task SegmentAsync_V1TextRed_ReturnsTheRedRectangle()
    {
        var scene = SyntheticImage.Landscape();

        var result = await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] }, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(ConceptLayout.V1, host.Engine.Bundle!.Concept!.Layout);
        MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, scene.Red, 2);
    }

    [Fact]
    public async Task SegmentAsync_V1BoxExemplarOnBlue_RunsTheGeometryEncoder()
    {
        var scene = SyntheticImage.Landscape();
        var b = scene.Blue;
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, Boxes = [new BoxPrompt(b.X0 + 5, b.Y0 + 5, b.X1 - 5, b.Y1 - 5)] };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, b, 2);
    }

    [Fact]
    public async Task SegmentAsync_V1TextGreenWithNegativeBoxOnGreen_ReturnsNothing()
    {
        var scene = SyntheticImage.Landscape();
        var g = scene.Green;
        var request = new SegmentationRequest
        {
            Mode = SegmentationMode.Concept,
            TextPrompts = ["green"],
            Boxes = [new BoxPrompt(g.X0 + 5, g.Y0 + 5, g.X1 - 5, g.Y1 - 5, Positive: false)],
        };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Empty(result.Objects);
    }
}
