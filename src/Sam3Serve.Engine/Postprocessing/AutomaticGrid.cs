namespace Sam3Serve.Engine.Postprocessing;

/// <summary>SAM's automatic-mode point grid: n×n points at linspace(1/(2n), 1 − 1/(2n)), x varying fastest.</summary>
internal static class AutomaticGrid
{
    /// <summary>The grid as (x, y) pairs in [0, 1].</summary>
    public static (float X, float Y)[] Points(int pointsPerSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pointsPerSide);
        var n = pointsPerSide;
        var coords = new float[n];
        var first = 1.0 / (2 * n);
        var step = n == 1 ? 0 : (1.0 - (2 * first)) / (n - 1);
        for (var i = 0; i < n; i++)
        {
            coords[i] = (float)(first + (i * step));
        }
        var points = new (float, float)[n * n];
        for (var y = 0; y < n; y++)
        {
            for (var x = 0; x < n; x++)
            {
                points[(y * n) + x] = (coords[x], coords[y]);
            }
        }
        return points;
    }
}
