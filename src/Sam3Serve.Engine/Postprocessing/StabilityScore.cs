using System.Numerics;
using System.Runtime.InteropServices;

namespace Sam3Serve.Engine.Postprocessing;

/// <summary>SAM's stability score: area(logit &gt; t + o) / area(logit &gt; t − o).</summary>
internal static class StabilityScore
{
    /// <summary>
    /// Computes the score over <paramref name="logits"/>; 0 when even the looser mask is empty. The engine evaluates
    /// it on the low-resolution logits rather than SAM 1's upsampled ones (see docs on automatic mode).
    /// </summary>
    public static float Compute(ReadOnlySpan<float> logits, float threshold = 0f, float offset = 1f)
    {
        var high = threshold + offset;
        var low = threshold - offset;
        long intersection = 0;
        long union = 0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && logits.Length >= Vector<float>.Count)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(logits);
            var highV = new Vector<float>(high);
            var lowV = new Vector<float>(low);
            var inter = Vector<int>.Zero;
            var uni = Vector<int>.Zero;
            foreach (var v in vectors)
            {
                // A true lane is −1, so subtracting counts it.
                inter -= Vector.GreaterThan(v, highV);
                uni -= Vector.GreaterThan(v, lowV);
            }
            intersection = Vector.Sum(inter);
            union = Vector.Sum(uni);
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < logits.Length; i++)
        {
            if (logits[i] > high)
            {
                intersection++;
            }
            if (logits[i] > low)
            {
                union++;
            }
        }
        return union == 0 ? 0f : (float)intersection / union;
    }
}
