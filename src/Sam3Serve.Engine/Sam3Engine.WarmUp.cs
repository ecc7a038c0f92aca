using Microsoft.ML.OnnxRuntime;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Concept;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Onnx;

namespace Sam3Serve.Engine;

// Warm-up: the decoders and the text encoder run once on zero image features of the declared shapes. The vision
// encoders do not: a full pass of both costs ~100 s on a CPU, which the first request pays once instead.
public sealed partial class Sam3Engine
{
    private void WarmUp(CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var warmed = new List<string>();
        var image = new RgbImage(64, 48, new byte[64 * 48 * 3]);
        if (_concept is { } concept && ZeroFeatures(concept.ImageFeatures) is { } conceptFeatures)
        {
            try
            {
                concept.WarmUp(conceptFeatures, image, clock, cancellationToken);
                warmed.Add("text encoder, concept decoder");
            }
            finally
            {
                conceptFeatures.Release();
            }
        }
        if (_interactive is { } interactive && ZeroFeatures(interactive.ImageFeatures) is { } trackerFeatures)
        {
            try
            {
                interactive.WarmUp(trackerFeatures, image, clock, cancellationToken);
                warmed.Add("tracker decoder");
            }
            finally
            {
                trackerFeatures.Release();
            }
        }
        LogWarmUp(clock.ModelSeconds, (warmed.Count > 0 ? string.Join(", ", warmed) : "nothing") +
            "; the vision encoders are not warmed up, the first request on a new image measures them");
    }

    /// <summary>Zero-filled features shaped as <paramref name="source"/> declares (batch 1); null when a size is dynamic.</summary>
    private static FeatureSet? ZeroFeatures(IImageFeatureSource source)
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
            var count = shape.Aggregate(1L, (a, b) => a * b);
            values[spec.Name] = ElementConversion.CreateValue(ModelInput.FromFloats(new float[count], shape), spec.ElementType);
        }
        return new FeatureSet(values);
    }
}
