namespace Sam3Serve.Engine.Postprocessing;

/// <summary>SAM's stability score (spec §9): area(logit &gt; t + o) / area(logit &gt; t − o).</summary>
public static class StabilityScore
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
        foreach (var v in logits)
        {
            if (v > high)
            {
                intersection++;
            }
            if (v > low)
            {
                union++;
            }
        }
        return union == 0 ? 0f : (float)intersection / union;
    }
}
