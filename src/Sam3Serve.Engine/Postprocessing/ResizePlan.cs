namespace Sam3Serve.Engine.Postprocessing;

/// <summary>The two axes of a low-resolution → original-size bilinear resize, shared by every mask of a result.</summary>
internal sealed class ResizePlan
{
    /// <summary>Plans a resize of a <paramref name="sourceWidth"/>×<paramref name="sourceHeight"/> map to <paramref name="targetWidth"/>×<paramref name="targetHeight"/>.</summary>
    public ResizePlan(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight)
    {
        Columns = new ResizeAxis(sourceWidth, targetWidth);
        Rows = new ResizeAxis(sourceHeight, targetHeight);
    }

    /// <summary>Horizontal taps.</summary>
    public ResizeAxis Columns { get; }
    /// <summary>Vertical taps.</summary>
    public ResizeAxis Rows { get; }
    /// <summary>Low-resolution width.</summary>
    public int SourceWidth => Columns.SourceSize;
    /// <summary>Low-resolution height.</summary>
    public int SourceHeight => Rows.SourceSize;
    /// <summary>Original width.</summary>
    public int TargetWidth => Columns.TargetSize;
    /// <summary>Original height.</summary>
    public int TargetHeight => Rows.TargetSize;

    /// <summary>
    /// Writes row <paramref name="y"/> of the upsampled map, columns [<paramref name="x0"/>, <paramref name="x0"/> +
    /// <paramref name="destination"/>.Length), into <paramref name="destination"/>.
    /// </summary>
    public void UpsampleRow(ReadOnlySpan<float> source, int y, int x0, Span<float> destination)
    {
        var w = SourceWidth;
        var top = source.Slice(Rows.Lower[y] * w, w);
        var bottom = source.Slice(Rows.Upper[y] * w, w);
        var wy = Rows.Weight[y];
        var lower = Columns.Lower;
        var upper = Columns.Upper;
        var weight = Columns.Weight;
        for (var i = 0; i < destination.Length; i++)
        {
            var x = x0 + i;
            var wx = weight[x];
            var t = top[lower[x]] + (wx * (top[upper[x]] - top[lower[x]]));
            var b = bottom[lower[x]] + (wx * (bottom[upper[x]] - bottom[lower[x]]));
            destination[i] = t + (wy * (b - t));
        }
    }

    /// <summary>Upsamples the whole map (tests and small images only: allocates the full size).</summary>
    public float[] Upsample(ReadOnlySpan<float> source)
    {
        var result = new float[TargetWidth * TargetHeight];
        for (var y = 0; y < TargetHeight; y++)
        {
            UpsampleRow(source, y, 0, result.AsSpan(y * TargetWidth, TargetWidth));
        }
        return result;
    }
}
