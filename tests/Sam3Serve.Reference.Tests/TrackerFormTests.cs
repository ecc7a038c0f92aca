using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Interactive;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Postprocessing;
using Sam3Serve.Imaging.Input;
using Xunit;

namespace Sam3Serve.Reference.Tests;

/// <summary>
/// The tracker decoder's prompt forms on the reference bundle's real features: the load-time repair changes nothing
/// the export could already compute, and automatic mode's grid candidates are the interactive answers for those points.
/// </summary>
public sealed class TrackerFormTests(ReferenceService service)
{
    [Fact]
    public void RepairedDecoder_EqualsTheExport_WhereverTheExportsInputIsWellFormed()
    {
        var (features, w, h) = TruckFeatures();
        var path = Path.Combine(ReferenceSet.Instance.BundleDirectory, "tracker-prompt-encoder-mask-decoder.onnx");
        var options = new EngineOptions { ModelDir = ReferenceSet.Instance.BundleDirectory };
        var (bytes, description) = EmptyBoxesRepair.TryRepair(path);
        Assert.True(bytes is not null, description);
        using var exported = OnnxModel.Load(path, options);
        using var repaired = OnnxModel.Load(bytes, "repaired", ReferenceSet.Instance.BundleDirectory, options);
        var asExported = new TrackerDecoder(exported, new EngineCounters());
        var asRepaired = new TrackerDecoder(repaired, new EngineCounters());
        try
        {
            // Every form whose box count equals its object count: the only inputs on which the export's Concat is valid.
            (string Form, TrackerPrompt Prompt)[] forms =
            [
                ("a box with a point", TrackerPrompt.BoxWithPoints([0.2f * w, 0.3f * h, 0.5f * w, 0.8f * h], [0.35f * w, 0.6f * h], [1])),
                ("a box with a foreground and a background point", TrackerPrompt.BoxWithPoints([0.1f * w, 0.2f * h, 0.9f * w, 0.8f * h], [0.3f * w, 0.4f * h, 0.7f * w, 0.5f * h], [1, 0])),
                ("one box as an object", TrackerPrompt.BoxesOnly([0.05f * w, 0.25f * h, 0.95f * w, 0.8f * h])),
                ("four boxes as four objects", TrackerPrompt.BoxesOnly([0.05f * w, 0.25f * h, 0.95f * w, 0.8f * h, 0.2f * w, 0.5f * h, 0.4f * w, 0.8f * h, 0.7f * w, 0.5f * h, 0.9f * w, 0.7f * h, 0.6f * w, 0.6f * h, 0.75f * w, 0.7f * h])),
            ];
            var clock = new StageClock();
            foreach (var (form, prompt) in forms)
            {
                using var before = asExported.Run(features, prompt, clock, CancellationToken.None);
                using var after = asRepaired.Run(features, prompt, clock, CancellationToken.None);
                Assert.True(RepeatComparison.FirstDifference(before.Raw, after.Raw) is null, $"{form}: {RepeatComparison.FirstDifference(before.Raw, after.Raw)}");
            }

            // Zero boxes: the repaired graph answers the same twice, and not what the export computed with three box
            // tokens that no input filled.
            var points = TrackerPrompt.PointsOnly([0.3f * w, 0.4f * h, 0.7f * w, 0.5f * h], [1, 0], 1, 2);
            using var first = asRepaired.Run(features, points, clock, CancellationToken.None);
            using var second = asRepaired.Run(features, points, clock, CancellationToken.None);
            Assert.Null(RepeatComparison.FirstDifference(first.Raw, second.Raw));
            using var malformed = asExported.Run(features, points, clock, CancellationToken.None);
            Assert.NotNull(RepeatComparison.FirstDifference(first.Raw, malformed.Raw));
        }
        finally
        {
            features.Release();
        }
    }

    [Fact]
    public void AutomaticCandidates_ForEachGridPoint_AreTheInteractiveAnswerForThatPointAlone()
    {
        var engine = service.Require();
        var interactive = engine.Interactive!;
        var automatic = engine.Automatic!;
        var (features, _, _) = TruckFeatures();
        var c = ReferenceSet.Instance.Cases.Single(k => k.Id == "truck-point");
        var grid = AutomaticGrid.Points(32);
        var clock = new StageClock();
        var worstLogit = 0f;
        var worstIou = 0f;
        var compared = 0;
        try
        {
            // The first run of 64 grid points and one from the middle of the grid, as automatic mode batches them; every
            // 8th point of each is also decoded alone (a single run costs as much as a batch of 64 on this bundle).
            foreach (var start in new[] { 0, 448 })
            {
                using var batch = interactive.RunOnFeatures(features, automatic.GridPrompt(grid.AsSpan(start, 64)), clock, CancellationToken.None);
                for (var o = 3; o < 64; o += 8)
                {
                    var (x, y) = grid[start + o];
                    var request = new SegmentationRequest
                    {
                        Mode = SegmentationMode.Interactive,
                        Points = [new PointPrompt(x * c.Width, y * c.Height, 1)],
                    };
                    using var alone = interactive.RunOnFeatures(features, interactive.PointsPrompt(request, c.Width, c.Height), clock, CancellationToken.None);
                    Assert.Equal(alone.Candidates, batch.Candidates);
                    for (var k = 0; k < batch.Candidates; k++)
                    {
                        worstIou = MathF.Max(worstIou, MathF.Abs(alone.IouScores[k] - batch.IouScores[(o * batch.Candidates) + k]));
                        var a = alone.Logits(0, k);
                        var b = batch.Logits(o, k);
                        var signs = 0;
                        for (var i = 0; i < a.Length; i++)
                        {
                            worstLogit = MathF.Max(worstLogit, MathF.Abs(a[i] - b[i]));
                            signs += (a[i] > 0) != (b[i] > 0) ? 1 : 0;
                        }
                        Assert.True(signs <= a.Length / 10_000, $"grid point {start + o}, candidate {k}: {signs} low-resolution mask cells differ");
                    }
                    Assert.Equal(alone.Best(0), batch.Best(o));
                    compared++;
                }
            }
        }
        finally
        {
            features.Release();
        }
        var summary = $"automatic vs interactive over {compared} grid points: worst predicted-IoU difference {worstIou:E2}, worst logit difference {worstLogit:E2}";
        TestContext.Current.SendDiagnosticMessage(summary);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Assert.True(worstIou <= 1e-5f, $"predicted IoU differs by up to {worstIou:E2}");
        Assert.True(worstLogit <= 1e-3f, $"logits differ by up to {worstLogit:E2}");
    }

    /// <summary>The tracker features of the truck photo, and the encoder frame's size.</summary>
    private (FeatureSet Features, float Width, float Height) TruckFeatures()
    {
        var engine = service.Require();
        var source = engine.Interactive!.ImageFeatures;
        var c = ReferenceSet.Instance.Cases.Single(k => k.Id == "truck-point");
        var image = ImageDecoder.Decode(ReferenceSet.Instance.ImageBytes(c), 100_000_000);
        return (source.Encode(image, "tracker-form-tests:truck", new StageClock(), CancellationToken.None), source.InputWidth, source.InputHeight);
    }
}
