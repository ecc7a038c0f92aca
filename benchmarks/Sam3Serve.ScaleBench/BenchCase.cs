using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.ScaleBench;

/// <summary>One mode as the benchmark runs it: the engine request, and the bare graph runs it amounts to.</summary>
/// <param name="Name">Row label.</param>
/// <param name="Request">The engine request on a new image.</param>
/// <param name="CachedRequest">A second request on the same image (features cached).</param>
/// <param name="BareStages">Bare-session stages whose times add up to this mode on a new image.</param>
internal sealed record BenchCase(string Name, SegmentationRequest Request, SegmentationRequest CachedRequest, IReadOnlyList<string> BareStages)
{
    public static IReadOnlyList<BenchCase> All(int automaticRuns) =>
    [
        new("concept (1 text)", Concept("truck"), Concept("wheel"), [BareStage.Trunk, BareStage.DetectorNeck, BareStage.Text, BareStage.ConceptDecoder]),
        new("concept (3 texts)", Concept("truck", "wheel", "window"), Concept("tyre", "door", "sky"),
            [BareStage.Trunk, BareStage.DetectorNeck, BareStage.Text, BareStage.Text, BareStage.Text, BareStage.ConceptDecoder, BareStage.ConceptDecoder, BareStage.ConceptDecoder]),
        new("point", Point(500, 375), Point(900, 600), [BareStage.Trunk, BareStage.TrackerNeck, BareStage.TrackerDecoder1]),
        new("4 object boxes", Boxes(4, 0), Boxes(4, 40), [BareStage.Trunk, BareStage.TrackerNeck, BareStage.TrackerDecoder4]),
        new("automatic 32×32", Automatic(), Automatic() with { PredIouThresh = 0.5f },
            [BareStage.Trunk, BareStage.TrackerNeck, .. Enumerable.Repeat(BareStage.TrackerDecoder64, automaticRuns)]),
    ];

    private static SegmentationRequest Concept(params string[] texts) => new() { Mode = SegmentationMode.Concept, TextPrompts = texts };

    private static SegmentationRequest Point(float x, float y) => new() { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(x, y, 1)] };

    private static SegmentationRequest Boxes(int count, float shift) => new()
    {
        Mode = SegmentationMode.Interactive,
        BoxMode = BoxMode.Object,
        Boxes = Enumerable.Range(0, count).Select(i => new BoxPrompt(100 + (i * 300) + shift, 200, 350 + (i * 300) + shift, 700)).ToList(),
    };

    private static SegmentationRequest Automatic() => new() { Mode = SegmentationMode.Automatic, PointsPerSide = 32 };
}

/// <summary>Names of the bare runs.</summary>
internal static class BareStage
{
    public const string Trunk = "trunk";
    public const string DetectorNeck = "detector neck";
    public const string TrackerNeck = "tracker neck";
    public const string Text = "text encoder";
    public const string ConceptDecoder = "concept decoder";
    public const string TrackerDecoder1 = "tracker decoder, 1 point";
    public const string TrackerDecoder4 = "tracker decoder, 4 boxes";
    public const string TrackerDecoder64 = "tracker decoder, 64 points";
    public const string ConceptDecoderBatch3 = "concept decoder, 3 prompts in one batch";
}
