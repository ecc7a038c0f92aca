namespace Sam3Serve.Engine.Postprocessing;

/// <summary>
/// Bilinear source taps for one axis, align_corners=false (PyTorch <c>F.interpolate</c>): destination index i reads
/// source coordinate (i + 0.5)·in/out − 0.5, clamped at 0, between taps ⌊s⌋ and min(⌊s⌋ + 1, in − 1).
/// </summary>
internal sealed class ResizeAxis
{
    /// <summary>Builds the taps for resizing <paramref name="sourceSize"/> samples to <paramref name="targetSize"/>.</summary>
    public ResizeAxis(int sourceSize, int targetSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetSize);
        SourceSize = sourceSize;
        TargetSize = targetSize;
        Lower = new int[targetSize];
        Upper = new int[targetSize];
        Weight = new float[targetSize];
        var scale = (double)sourceSize / targetSize;
        for (var i = 0; i < targetSize; i++)
        {
            var s = Math.Max(0.0, ((i + 0.5) * scale) - 0.5);
            var lower = Math.Min((int)s, sourceSize - 1);
            Lower[i] = lower;
            Upper[i] = Math.Min(lower + 1, sourceSize - 1);
            Weight[i] = (float)(s - lower);
        }
    }

    /// <summary>Samples in the source.</summary>
    public int SourceSize { get; }
    /// <summary>Samples in the result.</summary>
    public int TargetSize { get; }
    /// <summary>Per destination index: the lower source tap.</summary>
    public int[] Lower { get; }
    /// <summary>Per destination index: the upper source tap.</summary>
    public int[] Upper { get; }
    /// <summary>Per destination index: the weight of the upper tap.</summary>
    public float[] Weight { get; }

    /// <summary>The first destination index whose upper tap is at or after <paramref name="sourceIndex"/>.</summary>
    public int FirstTargetTouching(int sourceIndex)
    {
        for (var i = 0; i < TargetSize; i++)
        {
            if (Upper[i] >= sourceIndex)
            {
                return i;
            }
        }
        return TargetSize;
    }

    /// <summary>The last destination index whose lower tap is at or before <paramref name="sourceIndex"/>.</summary>
    public int LastTargetTouching(int sourceIndex)
    {
        for (var i = TargetSize - 1; i >= 0; i--)
        {
            if (Lower[i] <= sourceIndex)
            {
                return i;
            }
        }
        return -1;
    }
}
