namespace Sam3Serve.Benchmarks.Postprocessing;

/// <summary>
/// Low-resolution mask logits shaped like SAM's: positive inside an ellipse, falling linearly with the elliptical
/// radius outside it, steepness chosen per mask (steep edges are stable, shallow ones are not).
/// </summary>
internal static class SyntheticLogits
{
    /// <summary>Side of the real model's mask logits (288×288).</summary>
    public const int Side = 288;

    /// <summary>A <paramref name="side"/>² map of one ellipse, logit = slope · (1 − r).</summary>
    public static float[] Ellipse(int side, float cx, float cy, float rx, float ry, float slope)
    {
        var map = new float[side * side];
        Array.Fill(map, float.MinValue);
        AddEllipse(map, side, cx, cy, rx, ry, slope);
        return map;
    }

    /// <summary>Raises <paramref name="map"/> to the ellipse's logits where they are higher (union of objects).</summary>
    public static void AddEllipse(float[] map, int side, float cx, float cy, float rx, float ry, float slope)
    {
        for (var y = 0; y < side; y++)
        {
            var dy = (y + 0.5f - cy) / ry;
            for (var x = 0; x < side; x++)
            {
                var dx = (x + 0.5f - cx) / rx;
                var logit = slope * (1f - MathF.Sqrt((dx * dx) + (dy * dy)));
                var i = (y * side) + x;
                if (logit > map[i])
                {
                    map[i] = logit;
                }
            }
        }
    }

    /// <summary>A map of <paramref name="objects"/> random ellipses (seeded), clamped below at −20 as SAM's logits roughly are.</summary>
    public static float[] Scene(int side, int objects, int seed)
    {
        var random = new Random(seed);
        var map = new float[side * side];
        Array.Fill(map, -20f);
        for (var k = 0; k < objects; k++)
        {
            AddEllipse(
                map, side,
                random.NextSingle() * side, random.NextSingle() * side,
                side * (0.04f + (0.2f * random.NextSingle())), side * (0.04f + (0.2f * random.NextSingle())),
                20f + (80f * random.NextSingle()));
        }
        for (var i = 0; i < map.Length; i++)
        {
            map[i] = Math.Max(map[i], -20f);
        }
        return map;
    }
}
