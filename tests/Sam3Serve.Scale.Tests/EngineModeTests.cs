using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>
/// Every mode through the engine on the real-architecture graphs. The weights are random, so what is checked is what
/// must hold whatever the weights: the run completes, scores are finite probabilities, boxes lie on the image, masks
/// have the image's size, and the shared trunk runs once per image.
/// </summary>
[Collection(ScaleCollection.Name)]
[Trait("Category", "Scale")]
public sealed class EngineModeTests(ScaleEngine scale)
{
    private static readonly RgbImage Photo = ScaleEngine.Image(seed: 1);

    [Fact]
    public void Load_FindsTheSharedTrunkOnTheWeights()
    {
        ScaleBundle.Require();
        var engine = scale.Engine!;
        Assert.True(engine.SharesTrunk, "the depth2 encoders share their ViT trunk (make-bundle writes it byte-identical)");
        var stats = engine.TrunkSharing!;
        // depth2 keeps 2 of 32 trunk layers, so the neck is a larger part here (81% shared) than in the full set (98.6%).
        Assert.True(stats.SharedBytes > 0.75 * stats.TrackerBytes, $"shared {stats.SharedBytes} of {stats.TrackerBytes} bytes");
        Assert.True(stats.TrackerNeckBytes < 0.25 * stats.TrackerBytes, $"the tracker neck loads {stats.TrackerNeckBytes} of {stats.TrackerBytes} bytes");
        Assert.True(stats.TrackerNeckNodes < stats.TrackerNodes / 2, $"the tracker neck keeps {stats.TrackerNeckNodes} of {stats.TrackerNodes} nodes");
    }

    [Fact]
    public async Task PointAfterText_OnTheSameImage_RunsNoTrunk()
    {
        ScaleBundle.Require();
        var engine = scale.Engine!;
        var image = ScaleEngine.Image(seed: 42);
        var before = engine.Counters.TrunkPasses;
        var text = await Run(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["car"] }, image);
        Assert.Equal(before + 1, engine.Counters.TrunkPasses);
        Assert.True(text.StageSeconds["encoder"] > 0);

        var point = await Run(new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(320, 240, 1)] }, image);
        Assert.Equal(before + 1, engine.Counters.TrunkPasses);
        Assert.Equal(0, point.StageSeconds["encoder"]);
        Assert.True(point.StageSeconds["neck"] > 0, "the tracker neck runs on the cached trunk output");

        var automatic = await Run(new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 2, PredIouThresh = 0 }, image);
        Assert.Equal(before + 1, engine.Counters.TrunkPasses);
        Assert.Equal(0, automatic.StageSeconds["encoder"] + automatic.StageSeconds["neck"]);
    }

    public static TheoryData<string> Modes() =>
    [
        "concept text", "several prompts", "box exemplars +/-", "text + box", "points with labels", "point + box", "object boxes", "automatic",
    ];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task EveryMode_GivesFiniteInRangeOutputs(string mode)
    {
        ScaleBundle.Require();
        var request = mode switch
        {
            "concept text" => Concept(["car"]),
            "several prompts" => Concept(["car", "tree", "sky"]),
            "box exemplars +/-" => Concept([]) with { Boxes = [new BoxPrompt(40, 40, 200, 180), new BoxPrompt(300, 200, 420, 330, Positive: false)] },
            "text + box" => Concept(["car"]) with { Boxes = [new BoxPrompt(40, 40, 200, 180)] },
            "points with labels" => new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new(100, 100, 1), new(500, 400, 0), new(320, 240, 1)] },
            "point + box" => new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new(120, 110, 1)], Boxes = [new BoxPrompt(40, 40, 200, 180)] },
            "object boxes" => new SegmentationRequest
            {
                Mode = SegmentationMode.Interactive,
                BoxMode = BoxMode.Object,
                Boxes = [new(10, 10, 150, 150), new(200, 50, 400, 300), new(300, 300, 630, 470), new(0, 0, 639, 479)],
            },
            "automatic" => new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 4, PredIouThresh = 0 },
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        var result = await Run(request, Photo);

        if (mode == "object boxes")
        {
            Assert.Equal(4, result.Objects.Count);
        }
        if (mode is "points with labels" or "point + box")
        {
            Assert.Single(result.Objects);
        }
        if (mode == "several prompts")
        {
            Assert.All(result.Objects, o => Assert.InRange(o.PromptIndex, 0, 2));
        }
        foreach (var o in result.Objects)
        {
            Assert.True(float.IsFinite(o.Score) && o.Score is >= 0 and <= 1, $"score {o.Score}");
            Assert.Equal(4, o.Box.Length);
            Assert.All(o.Box, v => Assert.True(float.IsFinite(v), $"box value {v}"));
            Assert.InRange(o.Box[0], -0.05f * Photo.Width, 1.05f * Photo.Width);
            Assert.InRange(o.Box[3], -0.05f * Photo.Height, 1.05f * Photo.Height);
            Assert.Equal(Photo.Width, o.Mask.Width);
            Assert.Equal(Photo.Height, o.Mask.Height);
            var row = new byte[Photo.Width];
            o.Mask.FillRow(Photo.Height / 2, row);
            Assert.All(row, b => Assert.True(b is 0 or 1));
        }
        Assert.All(result.StageSeconds.Values, s => Assert.True(double.IsFinite(s) && s >= 0));
    }

    private static SegmentationRequest Concept(string[] texts) =>
        // Threshold 0 keeps every query, so the masks and boxes of random weights are checked too; the cap bounds the work.
        new() { Mode = SegmentationMode.Concept, TextPrompts = texts, Threshold = 0, MaxMasks = 6 };

    private async Task<SegmentationResult> Run(SegmentationRequest request, RgbImage image) =>
        await scale.Engine!.SegmentAsync(request, image, TestContext.Current.CancellationToken);
}
