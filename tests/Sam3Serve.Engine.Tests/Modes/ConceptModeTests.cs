using Sam3Serve.Contracts.Requests;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Postprocessing;
using Sam3Serve.Engine.Tests.Support;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class ConceptModeTests(FixtureEngineHost host) : IClassFixture<FixtureEngineHost>
{
    private static readonly float ExpectedScore = ScoreMath.DetectionScore(FixtureGeometry.DetectedLogit, FixtureGeometry.DetectedPresence);

    public static TheoryData<string> Layouts => ["landscape", "portrait"];

    private static (Contracts.Inference.RgbImage Image, PixelRect Red, PixelRect Green, PixelRect Blue) Scene(string layout) =>
        layout == "landscape" ? SyntheticImage.Landscape() : SyntheticImage.Portrait();

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task SegmentAsync_TextRed_ReturnsExactlyTheRedRectangle(string layout)
    {
        var scene = Scene(layout);
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        var single = Assert.Single(result.Objects);
        Assert.Equal(ExpectedScore, single.Score, 4);
        Assert.Equal(scene.Image.Width, single.Mask.Width);
        Assert.Equal(scene.Image.Height, single.Mask.Height);
        MaskAssert.MatchesRect(single.Mask, scene.Red, edgeTolerance: 2);
        // pred_boxes come from the fixture's 126² cells (edges, not inclusive pixels): within one cell plus blur.
        var cell = Math.Max(scene.Image.Width, scene.Image.Height) / (float)FixtureGeometry.MaskSize;
        MaskAssert.BoxNear([scene.Red.X0, scene.Red.Y0, scene.Red.X1, scene.Red.Y1], single.Box, cell + 1.5f);
    }

    [Fact]
    public async Task SegmentAsync_TextPurple_ReturnsNothing()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["purple"] };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Empty(result.Objects);
    }

    [Fact]
    public async Task SegmentAsync_SeveralPrompts_KeepsPromptIndexInRequestOrder()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["blue", "purple", "green"] };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Objects.Count);
        Assert.Equal(0, result.Objects[0].PromptIndex);
        Assert.Equal(2, result.Objects[1].PromptIndex);
        MaskAssert.MatchesRect(result.Objects[0].Mask, scene.Blue, 2);
        MaskAssert.MatchesRect(result.Objects[1].Mask, scene.Green, 2);
    }

    [Fact]
    public async Task SegmentAsync_PositiveBoxExemplarOnGreen_FindsTheGreenRegion()
    {
        var scene = SyntheticImage.Portrait();
        var g = scene.Green;
        var request = new SegmentationRequest
        {
            Mode = SegmentationMode.Concept,
            Boxes = [new BoxPrompt(g.CentreX - 5, g.CentreY - 5, g.CentreX + 5, g.CentreY + 5)],
        };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        var single = Assert.Single(result.Objects);
        MaskAssert.MatchesRect(single.Mask, scene.Green, 2);
    }

    [Fact]
    public async Task SegmentAsync_TextRedWithNegativeBoxOnRed_ReturnsNothing()
    {
        var scene = SyntheticImage.Landscape();
        var r = scene.Red;
        var request = new SegmentationRequest
        {
            Mode = SegmentationMode.Concept,
            TextPrompts = ["red"],
            Boxes = [new BoxPrompt(r.X0 + 10, r.Y0 + 10, r.X1 - 10, r.Y1 - 10, Positive: false)],
        };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        Assert.Empty(result.Objects);
    }

    [Fact]
    public async Task SegmentAsync_ThresholdAboveScore_DropsTheDetection()
    {
        var scene = SyntheticImage.Landscape();
        var below = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"], Threshold = ExpectedScore - 0.01f };
        var above = below with { Threshold = ExpectedScore + 0.01f };

        var kept = await host.Engine.SegmentAsync(below, scene.Image, TestContext.Current.CancellationToken);
        var dropped = await host.Engine.SegmentAsync(above, scene.Image, TestContext.Current.CancellationToken);

        Assert.Single(kept.Objects);
        Assert.Empty(dropped.Objects);
    }

    [Fact]
    public async Task SegmentAsync_MaxMasksOne_KeepsOneOfThreePrompts()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red", "green", "blue"] };

        var all = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);
        var capped = await host.Engine.SegmentAsync(request with { MaxMasks = 1 }, scene.Image, TestContext.Current.CancellationToken);

        Assert.Equal(3, all.Objects.Count);
        Assert.Single(capped.Objects);
    }

    [Fact]
    public async Task SegmentAsync_Concept_ReportsEveryStage()
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["green"], ImageId = "stages-" + Guid.NewGuid() };

        var result = await host.Engine.SegmentAsync(request, scene.Image, TestContext.Current.CancellationToken);

        foreach (var stage in new[] { "preprocess", "encoder", "neck", "text", "decoder", "postprocess" })
        {
            Assert.True(result.StageSeconds.ContainsKey(stage), stage);
        }
        Assert.True(result.StageSeconds["encoder"] > 0);
        Assert.True(result.StageSeconds["decoder"] > 0);
        // The fixture's encoders share their first op, so a new image runs the trunk (encoder) and a neck.
        Assert.True(result.StageSeconds["neck"] > 0);
        Assert.Equal(result.StageSeconds["encoder"] + result.StageSeconds["neck"] + result.StageSeconds["text"] + result.StageSeconds["decoder"], result.InferenceSeconds, 9);
    }
}
