using Microsoft.ML.OnnxRuntime;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Onnx;

namespace Sam3Serve.Engine;

// Warm-up and self-check: the decoders (and the text encoder) run on synthetic image features of the declared shapes,
// in every prompt form the engine sends. With the self-check on, each form runs twice and the two runs must agree bit
// for bit (within a small tolerance on a GPU, whose kernels may sum in another order): a graph that reads memory no
// input filled answers the same request differently from run to run, and the engine refuses to serve it. The vision
// encoders are not run: a full pass of both costs ~100 s on a CPU, which the first request pays once instead.
public sealed partial class Sam3Engine
{
    /// <summary>The largest difference two runs may show on a GPU provider (CPU runs must be bit-identical).</summary>
    private const float GpuRepeatTolerance = 1e-3f;

    private void WarmUp(bool check, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var warmed = new List<string>();
        var checkedForms = 0;
        var image = new RgbImage(64, 48, new byte[64 * 48 * 3]);
        if (_concept is { } concept && SyntheticFeatures(concept.ImageFeatures) is { } conceptFeatures)
        {
            try
            {
                (string Form, BoxPrompt[] Boxes)[] forms =
                [
                    ("text", []),
                    ("text with a positive and a negative box", [new BoxPrompt(8, 6, 40, 30), new BoxPrompt(20, 10, 60, 44, Positive: false)]),
                ];
                foreach (var (form, boxes) in check ? forms : forms[..1])
                {
                    RunForm("concept decoder", form, check, () => concept.RunOnFeatures(conceptFeatures, boxes, image, clock, cancellationToken), o => o);
                    checkedForms += check ? 1 : 0;
                }
                warmed.Add("text encoder, concept decoder");
            }
            finally
            {
                conceptFeatures.Release();
            }
        }
        if (_interactive is { } interactive && SyntheticFeatures(interactive.ImageFeatures) is { } trackerFeatures)
        {
            try
            {
                var forms = interactive.CheckForms();
                foreach (var (form, prompt) in check ? forms : forms.Take(1))
                {
                    RunForm("tracker decoder", form, check, () => interactive.RunOnFeatures(trackerFeatures, prompt, clock, cancellationToken), o => o.Raw);
                    checkedForms += check ? 1 : 0;
                }
                warmed.Add("tracker decoder");
            }
            finally
            {
                trackerFeatures.Release();
            }
        }
        LogWarmUp(clock.ModelSeconds, (warmed.Count > 0 ? string.Join(", ", warmed) : "nothing") +
            "; the vision encoders are not warmed up, the first request on a new image measures them");
        if (check)
        {
            LogSelfCheck(checkedForms);
        }
    }

    /// <summary>Runs one prompt form (twice when <paramref name="check"/>, comparing the two runs).</summary>
    private void RunForm<T>(string decoder, string form, bool check, Func<T> run, Func<T, ModelOutputs> outputs)
        where T : IDisposable
    {
        using var first = run();
        if (!check)
        {
            return;
        }
        using var second = run();
        var tolerance = SessionOptionsFactory.IsGpu(_options.ExecutionProvider) ? GpuRepeatTolerance : 0f;
        if (RepeatComparison.FirstDifference(outputs(first), outputs(second), tolerance) is { } difference)
        {
            throw new InvalidOperationException(
                $"self-check failed: the {decoder} gave two different answers to the same input ({form}): {difference}. " +
                "Its results would change from one request to the next, so the model is not served. The graph most likely " +
                "reads memory that no input filled; check that the bundle's files are the expected export.");
        }
    }

    /// <summary>
    /// Features shaped as <paramref name="source"/> declares (batch 1), filled with a fixed pattern so that every
    /// process computes the same thing; null when a size is dynamic.
    /// </summary>
    private static FeatureSet? SyntheticFeatures(IImageFeatureSource source)
    {
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        foreach (var spec in source.Outputs)
        {
            var shape = new long[spec.Rank];
            for (var d = 0; d < spec.Rank; d++)
            {
                shape[d] = d == 0 && !spec.IsStatic(0) ? 1 : spec.Dim(d);
            }
            if (shape.Any(s => s <= 0))
            {
                foreach (var v in values.Values)
                {
                    v.Dispose();
                }
                return null;
            }
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = MathF.Sin(i * 0.618f);
            }
            values[spec.Name] = ElementConversion.CreateValue(ModelInput.FromFloats(data, shape), spec.ElementType);
        }
        return new FeatureSet(values);
    }
}
