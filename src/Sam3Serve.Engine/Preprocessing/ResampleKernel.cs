using System.Buffers;

namespace Sam3Serve.Engine.Preprocessing;

/// <summary>
/// Fixed-point weights of a PIL-style antialiased triangle (bilinear) filter along one axis: for each output
/// position, the first input index, the tap count and <see cref="TapsPerOutput"/> weights scaled by
/// 2^<see cref="PrecisionBits"/>. Arrays come from <see cref="ArrayPool{T}"/>; dispose returns them.
/// </summary>
internal readonly struct ResampleKernel : IDisposable
{
    /// <summary>Fraction bits of the integer weights (PIL's 32 − 8 − 2).</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    private ResampleKernel(int tapsPerOutput, int[] weights, int[] starts, int[] counts)
    {
        TapsPerOutput = tapsPerOutput;
        Weights = weights;
        Starts = starts;
        Counts = counts;
    }

    /// <summary>Stride of <see cref="Weights"/> per output position.</summary>
    public int TapsPerOutput { get; }
    /// <summary>Weights, <see cref="TapsPerOutput"/> per output position.</summary>
    public int[] Weights { get; }
    /// <summary>First input index per output position.</summary>
    public int[] Starts { get; }
    /// <summary>Number of taps per output position.</summary>
    public int[] Counts { get; }

    /// <summary>
    /// Weights for resizing <paramref name="inSize"/> samples to <paramref name="outSize"/>. When shrinking, the
    /// filter support widens by the scale factor (antialiasing); pixel centres sit at i + 0.5 on both sides.
    /// </summary>
    public static ResampleKernel Create(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = filterScale; // the triangle filter has support 1
        var taps = ((int)Math.Ceiling(support) * 2) + 1;

        var weights = ArrayPool<int>.Shared.Rent(outSize * taps);
        var starts = ArrayPool<int>.Shared.Rent(outSize);
        var counts = ArrayPool<int>.Shared.Rent(outSize);
        Span<double> raw = taps <= 256 ? stackalloc double[taps] : new double[taps];
        for (var o = 0; o < outSize; o++)
        {
            var center = (o + 0.5) * scale;
            // (int) truncates toward zero, as PIL's C cast does, before the clamp.
            var min = Math.Max((int)(center - support + 0.5), 0);
            var max = Math.Min((int)(center + support + 0.5), inSize);
            var count = max - min;
            var sum = 0.0;
            for (var i = 0; i < count; i++)
            {
                var w = Triangle((i + min - center + 0.5) / filterScale);
                raw[i] = w;
                sum += w;
            }
            var row = weights.AsSpan(o * taps, taps);
            row.Clear();
            for (var i = 0; i < count; i++)
            {
                var normalised = sum != 0 ? raw[i] / sum : raw[i];
                row[i] = (int)(normalised < 0
                    ? Math.Truncate(-0.5 + (normalised * (1 << PrecisionBits)))
                    : Math.Truncate(0.5 + (normalised * (1 << PrecisionBits))));
            }
            starts[o] = min;
            counts[o] = count;
        }
        return new ResampleKernel(taps, weights, starts, counts);
    }

    /// <summary>Back to 8 bits: shift out the fraction (the accumulator starts at one half), clamp to 0–255.</summary>
    public static byte Clip8(int accumulator)
    {
        var v = accumulator >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>The accumulator's start value: one half in fixed point, so the final shift rounds.</summary>
    public const int Half = 1 << (PrecisionBits - 1);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Weights is null)
        {
            return; // default instance: nothing rented
        }
        ArrayPool<int>.Shared.Return(Weights);
        ArrayPool<int>.Shared.Return(Starts);
        ArrayPool<int>.Shared.Return(Counts);
    }

    private static double Triangle(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }
}
