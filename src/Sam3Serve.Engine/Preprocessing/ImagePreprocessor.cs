using System.Buffers;
using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Engine.Preprocessing;

/// <summary>
/// Turns an RGB image into the vision encoder's input (spec §6.1): stretched to the target size with the same
/// antialiased bilinear filter as PIL's <c>Image.resize(BILINEAR)</c>, including its rounding to 8 bits after
/// each pass, then scaled to [−1, 1] as (x/255 − 0.5)/0.5, in planar NCHW order (R, G, B planes).
/// </summary>
public static unsafe class ImagePreprocessor
{
    // Below this many source pixels the work is too small to pay for thread hand-off.
    private const long ParallelThreshold = 256 * 1024;

    private static readonly float[] Normalised = BuildNormalised();

    /// <summary>
    /// Writes <paramref name="image"/> resized to <paramref name="width"/>×<paramref name="height"/> into the first
    /// 3·width·height floats of <paramref name="destination"/>.
    /// </summary>
    public static void ToNchw(RgbImage image, int width, int height, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var planeSize = width * height;
        if (destination.Length < 3L * planeSize)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, {3L * planeSize} needed", nameof(destination));
        }

        var needHorizontal = width != image.Width;
        var needVertical = height != image.Height;
        var parallel = (long)image.Width * image.Height >= ParallelThreshold;
        fixed (float* dst = destination)
        {
            if (!needHorizontal && !needVertical)
            {
                NormaliseToPlanes(image.Pixels, width, height, dst, parallel);
                return;
            }
            if (!needHorizontal)
            {
                using var vertical = ResampleKernel.Create(image.Height, height);
                VerticalToPlanes(image.Pixels, 0, vertical, width, height, dst, parallel);
                return;
            }

            using var horizontal = ResampleKernel.Create(image.Width, width);
            if (!needVertical)
            {
                var rows = ArrayPool<byte>.Shared.Rent(planeSize * 3);
                try
                {
                    HorizontalToBytes(image, 0, height, horizontal, width, rows, parallel);
                    NormaliseToPlanes(rows, width, height, dst, parallel);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rows);
                }
                return;
            }

            using var verticalKernel = ResampleKernel.Create(image.Height, height);
            // Only the source rows that some output row reads go through the horizontal pass (as PIL does).
            var firstRow = verticalKernel.Starts[0];
            var lastRow = verticalKernel.Starts[height - 1] + verticalKernel.Counts[height - 1];
            var temp = ArrayPool<byte>.Shared.Rent((lastRow - firstRow) * width * 3);
            try
            {
                HorizontalToBytes(image, firstRow, lastRow - firstRow, horizontal, width, temp, parallel);
                VerticalToPlanes(temp, firstRow, verticalKernel, width, height, dst, parallel);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(temp);
            }
        }
    }

    private static void HorizontalToBytes(RgbImage image, int firstRow, int rowCount, ResampleKernel kernel, int width,
        byte[] output, bool parallel)
    {
        var src = image.Pixels;
        var srcStride = image.Width * 3;
        var dstStride = width * 3;
        ForRows(rowCount, parallel, (from, to) =>
        {
            var weights = kernel.Weights;
            var starts = kernel.Starts;
            var counts = kernel.Counts;
            var taps = kernel.TapsPerOutput;
            for (var y = from; y < to; y++)
            {
                var inRow = src.AsSpan((firstRow + y) * srcStride, srcStride);
                var outRow = output.AsSpan(y * dstStride, dstStride);
                for (var x = 0; x < width; x++)
                {
                    int r = ResampleKernel.Half, g = ResampleKernel.Half, b = ResampleKernel.Half;
                    var w = weights.AsSpan(x * taps, counts[x]);
                    var p = inRow[(starts[x] * 3)..];
                    for (var i = 0; i < w.Length; i++)
                    {
                        var k = w[i];
                        r += p[i * 3] * k;
                        g += p[(i * 3) + 1] * k;
                        b += p[(i * 3) + 2] * k;
                    }
                    outRow[x * 3] = ResampleKernel.Clip8(r);
                    outRow[(x * 3) + 1] = ResampleKernel.Clip8(g);
                    outRow[(x * 3) + 2] = ResampleKernel.Clip8(b);
                }
            }
        });
    }

    // Source rows start at index (kernel start − rowShift) in src; each output row is accumulated tap by tap over
    // whole interleaved rows, which reads memory sequentially.
    private static void VerticalToPlanes(byte[] src, int rowShift, ResampleKernel kernel, int width, int height,
        float* dst, bool parallel)
    {
        var stride = width * 3;
        var planeSize = width * height;
        var dstAddress = (nint)dst;
        ForRows(height, parallel, (from, to) =>
        {
            var output = (float*)dstAddress;
            var accumulator = ArrayPool<int>.Shared.Rent(stride);
            try
            {
                var acc = accumulator.AsSpan(0, stride);
                var lut = Normalised;
                for (var y = from; y < to; y++)
                {
                    acc.Fill(ResampleKernel.Half);
                    var w = kernel.Weights.AsSpan(y * kernel.TapsPerOutput, kernel.Counts[y]);
                    var start = kernel.Starts[y] - rowShift;
                    for (var i = 0; i < w.Length; i++)
                    {
                        var k = w[i];
                        var row = src.AsSpan((start + i) * stride, stride);
                        for (var j = 0; j < row.Length; j++)
                        {
                            acc[j] += row[j] * k;
                        }
                    }
                    var rPlane = output + (y * width);
                    var gPlane = rPlane + planeSize;
                    var bPlane = gPlane + planeSize;
                    for (var x = 0; x < width; x++)
                    {
                        rPlane[x] = lut[ResampleKernel.Clip8(acc[x * 3])];
                        gPlane[x] = lut[ResampleKernel.Clip8(acc[(x * 3) + 1])];
                        bPlane[x] = lut[ResampleKernel.Clip8(acc[(x * 3) + 2])];
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(accumulator);
            }
        });
    }

    private static void NormaliseToPlanes(byte[] src, int width, int height, float* dst, bool parallel)
    {
        var planeSize = width * height;
        var dstAddress = (nint)dst;
        ForRows(height, parallel, (from, to) =>
        {
            var output = (float*)dstAddress;
            var lut = Normalised;
            for (var y = from; y < to; y++)
            {
                var row = src.AsSpan(y * width * 3, width * 3);
                var rPlane = output + (y * width);
                var gPlane = rPlane + planeSize;
                var bPlane = gPlane + planeSize;
                for (var x = 0; x < width; x++)
                {
                    rPlane[x] = lut[row[x * 3]];
                    gPlane[x] = lut[row[(x * 3) + 1]];
                    bPlane[x] = lut[row[(x * 3) + 2]];
                }
            }
        });
    }

    private static void ForRows(int rows, bool parallel, Action<int, int> body)
    {
        var chunks = parallel ? Math.Min(Environment.ProcessorCount * 2, Math.Max(1, rows / 16)) : 1;
        if (chunks <= 1)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, chunks, c => body((int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks)));
    }

    private static float[] BuildNormalised()
    {
        var table = new float[256];
        for (var v = 0; v < 256; v++)
        {
            table[v] = ((v / 255f) - 0.5f) / 0.5f;
        }
        return table;
    }
}
