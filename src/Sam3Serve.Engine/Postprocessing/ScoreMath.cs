namespace Sam3Serve.Engine.Postprocessing;

/// <summary>Score arithmetic of the concept path.</summary>
internal static class ScoreMath
{
    /// <summary>The logistic function.</summary>
    public static float Sigmoid(float logit) => 1f / (1f + MathF.Exp(-logit));

    /// <summary>Detection score: sigmoid(query logit) × sigmoid(presence logit).</summary>
    public static float DetectionScore(float queryLogit, float presenceLogit) => Sigmoid(queryLogit) * Sigmoid(presenceLogit);

    /// <summary>Indices of queries whose score is strictly above <paramref name="threshold"/>, in query order.</summary>
    public static List<int> KeepAbove(ReadOnlySpan<float> scores, float threshold)
    {
        var kept = new List<int>();
        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] > threshold)
            {
                kept.Add(i);
            }
        }
        return kept;
    }

    /// <summary>
    /// Normalised xyxy → pixels of the original image (x × width, y × height); not clipped, as the reference does not
    /// clip either (a golden box has x1 = −0.85).
    /// </summary>
    public static float[] ScaleBox(ReadOnlySpan<float> normalisedXyxy, int width, int height) =>
        [normalisedXyxy[0] * width, normalisedXyxy[1] * height, normalisedXyxy[2] * width, normalisedXyxy[3] * height];

    /// <summary>
    /// Indices of the <paramref name="max"/> highest scores (ties keep the earlier one), returned in their original
    /// order; <paramref name="max"/> ≤ 0 keeps everything.
    /// </summary>
    public static int[] TopInOrder(IReadOnlyList<float> scores, int max)
    {
        if (max <= 0 || scores.Count <= max)
        {
            return Enumerable.Range(0, scores.Count).ToArray();
        }
        return Enumerable.Range(0, scores.Count)
            .OrderByDescending(i => scores[i])
            .ThenBy(i => i)
            .Take(max)
            .Order()
            .ToArray();
    }
}
