using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Engine.Preprocessing;

/// <summary>
/// Turns an RGB image into the vision encoder's input: stretched to the target size with the same
/// antialiased bilinear filter as PIL's <c>Image.resize(BILINEAR)</c>, including its fixed-point arithmetic and its
/// rounding to 8 bits after each pass, then scaled to [−1, 1] as (x/255 − 0.5)/0.5, in planar NCHW order
/// (R, G, B planes).
/// </summary>
internal static unsafe class ImagePreprocessor
{
    /// <summary>AppContext switch that forces the scalar loops (for tests and for diagnosing SIMD issues).</summary>
    public const string DisableSimdSwitch = "Sam3Serve.Preprocessing.DisableSimd";

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

        var simd = !(AppContext.TryGetSwitch(DisableSimdSwitch, out var disabled) && disabled);
        var needHorizontal = width != image.Width;
        var needVertical = height != image.Height;
        var parallel = (long)image.Width * image.Height >= ParallelThreshold;
        fixed (float* dst = destination)
        {
            var job = new Job(image.Pixels, image.Width, image.Height, width, height, dst, simd);
            if (!needHorizontal && !needVertical)
            {
                ForRows(height, parallel, job, static (j, from, to) => j.NormaliseRows(j.Source, from, to));
                return;
            }
            if (!needHorizontal)
            {
                job.Vertical = ResampleKernel.Create(image.Height, height);
                try
                {
                    ForRows(height, parallel, job, static (j, from, to) => j.VerticalRows(j.Source, 0, from, to));
                }
                finally
                {
                    job.Vertical.Dispose();
                }
                return;
            }

            job.Horizontal = ResampleKernel.Create(image.Width, width);
            try
            {
                if (!needVertical)
                {
                    job.Temp = ArrayPool<byte>.Shared.Rent(planeSize * 3);
                    ForRows(height, parallel, job, static (j, from, to) =>
                    {
                        j.HorizontalRows(0, from, to);
                        j.NormaliseRows(j.Temp!, from, to);
                    });
                    return;
                }

                job.Vertical = ResampleKernel.Create(image.Height, height);
                // Only the source rows that some output row reads go through the horizontal pass (as in PIL).
                job.FirstRow = job.Vertical.Starts[0];
                var lastRow = job.Vertical.Starts[height - 1] + job.Vertical.Counts[height - 1];
                job.Temp = ArrayPool<byte>.Shared.Rent((lastRow - job.FirstRow) * width * 3);
                ForRows(lastRow - job.FirstRow, parallel, job, static (j, from, to) => j.HorizontalRows(j.FirstRow, from, to));
                ForRows(height, parallel, job, static (j, from, to) => j.VerticalRows(j.Temp!, j.FirstRow, from, to));
            }
            finally
            {
                job.Horizontal.Dispose();
                job.Vertical.Dispose();
                if (job.Temp is not null)
                {
                    ArrayPool<byte>.Shared.Return(job.Temp);
                }
            }
        }
    }

    private static void ForRows(int rows, bool parallel, Job job, Action<Job, int, int> body)
    {
        var chunks = parallel ? Math.Min(Environment.ProcessorCount * 2, Math.Max(1, rows / 16)) : 1;
        if (chunks <= 1)
        {
            body(job, 0, rows);
            return;
        }
        Parallel.For(0, chunks, c => body(job, (int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks)));
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

    /// <summary>State shared by the row workers of one call.</summary>
    private sealed class Job(byte[] source, int srcWidth, int srcHeight, int width, int height, float* destination, bool simd)
    {
        public byte[] Source { get; } = source;
        public ResampleKernel Horizontal { get; set; }
        public ResampleKernel Vertical { get; set; }
        public byte[]? Temp { get; set; }
        public int FirstRow { get; set; }

        // Horizontal pass: source rows firstRow+from .. firstRow+to into Temp rows from .. to.
        public void HorizontalRows(int firstRow, int from, int to)
        {
            var taps = Horizontal.TapsPerOutput;
            var srcStride = srcWidth * 3;
            var dstStride = width * 3;
            var sse = simd && Sse41.IsSupported;
            fixed (byte* src = Source)
            fixed (byte* temp = Temp)
            fixed (int* weights = Horizontal.Weights)
            fixed (int* starts = Horizontal.Starts)
            fixed (int* counts = Horizontal.Counts)
            {
                for (var y = from; y < to; y++)
                {
                    var sourceRow = firstRow + y;
                    var inRow = src + ((long)sourceRow * srcStride);
                    var outRow = temp + ((long)y * dstStride);
                    // The vector load reads 4 bytes per tap; on the image's last row that could pass the array end.
                    if (sse && sourceRow < srcHeight - 1)
                    {
                        HorizontalRowSse(inRow, outRow, weights, starts, counts, taps);
                    }
                    else
                    {
                        HorizontalRowScalar(inRow, outRow, weights, starts, counts, taps);
                    }
                }
            }
        }

        private void HorizontalRowScalar(byte* inRow, byte* outRow, int* weights, int* starts, int* counts, int taps)
        {
            for (var x = 0; x < width; x++)
            {
                int r = ResampleKernel.Half, g = ResampleKernel.Half, b = ResampleKernel.Half;
                var k = weights + (x * taps);
                var p = inRow + (starts[x] * 3);
                var n = counts[x];
                for (var i = 0; i < n; i++, p += 3)
                {
                    r += p[0] * k[i];
                    g += p[1] * k[i];
                    b += p[2] * k[i];
                }
                outRow[x * 3] = ResampleKernel.Clip8(r);
                outRow[(x * 3) + 1] = ResampleKernel.Clip8(g);
                outRow[(x * 3) + 2] = ResampleKernel.Clip8(b);
            }
        }

        // One pixel's three channels (plus one unused lane) per 128-bit register.
        private void HorizontalRowSse(byte* inRow, byte* outRow, int* weights, int* starts, int* counts, int taps)
        {
            var half = Vector128.Create(ResampleKernel.Half);
            for (var x = 0; x < width; x++)
            {
                var acc = half;
                var k = weights + (x * taps);
                var p = inRow + (starts[x] * 3);
                var n = counts[x];
                for (var i = 0; i < n; i++, p += 3)
                {
                    var pixel = Sse41.ConvertToVector128Int32(p);
                    acc = Sse2.Add(acc, Sse41.MultiplyLow(pixel, Vector128.Create(k[i])));
                }
                // Saturating packs clamp to 0..255 exactly as Clip8 does.
                var shifted = Sse2.ShiftRightArithmetic(acc, ResampleKernel.PrecisionBits);
                var words = Sse2.PackSignedSaturate(shifted, shifted);
                var rgb = Sse2.PackUnsignedSaturate(words, words).AsInt32().ToScalar();
                outRow[x * 3] = (byte)rgb;
                outRow[(x * 3) + 1] = (byte)(rgb >> 8);
                outRow[(x * 3) + 2] = (byte)(rgb >> 16);
            }
        }

        // Vertical pass: output rows from .. to, reading rows (kernel start − rowShift) of src (stride width·3).
        public void VerticalRows(byte[] source, int rowShift, int from, int to)
        {
            var stride = width * 3;
            var taps = Vertical.TapsPerOutput;
            var rowBytes = ArrayPool<byte>.Shared.Rent(stride);
            try
            {
                fixed (byte* src = source)
                fixed (byte* row = rowBytes)
                fixed (int* weights = Vertical.Weights)
                fixed (int* starts = Vertical.Starts)
                fixed (int* counts = Vertical.Counts)
                {
                    for (var y = from; y < to; y++)
                    {
                        var k = weights + (y * taps);
                        var n = counts[y];
                        var first = src + ((long)(starts[y] - rowShift) * stride);
                        var j = 0;
                        if (simd && Avx2.IsSupported)
                        {
                            var half = Vector256.Create(ResampleKernel.Half);
                            var max = Vector256.Create(255);
                            for (; j + 16 <= stride; j += 16)
                            {
                                var acc0 = half;
                                var acc1 = half;
                                var p = first + j;
                                for (var i = 0; i < n; i++, p += stride)
                                {
                                    var weight = Vector256.Create(k[i]);
                                    acc0 = Avx2.Add(acc0, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(p), weight));
                                    acc1 = Avx2.Add(acc1, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(p + 8), weight));
                                }
                                var c0 = Avx2.Min(Avx2.Max(Avx2.ShiftRightArithmetic(acc0, ResampleKernel.PrecisionBits), Vector256<int>.Zero), max);
                                var c1 = Avx2.Min(Avx2.Max(Avx2.ShiftRightArithmetic(acc1, ResampleKernel.PrecisionBits), Vector256<int>.Zero), max);
                                var words = Vector256.Narrow(c0.AsUInt32(), c1.AsUInt32());
                                Vector128.Narrow(words.GetLower(), words.GetUpper()).Store(row + j);
                            }
                        }
                        for (; j < stride; j++)
                        {
                            var acc = ResampleKernel.Half;
                            var p = first + j;
                            for (var i = 0; i < n; i++, p += stride)
                            {
                                acc += *p * k[i];
                            }
                            row[j] = ResampleKernel.Clip8(acc);
                        }
                        WritePlanes(row, y);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rowBytes);
            }
        }

        public void NormaliseRows(byte[] source, int from, int to)
        {
            fixed (byte* src = source)
            {
                for (var y = from; y < to; y++)
                {
                    WritePlanes(src + ((long)y * width * 3), y);
                }
            }
        }

        private void WritePlanes(byte* interleaved, int y)
        {
            var planeSize = (long)width * height;
            var r = destination + ((long)y * width);
            var g = r + planeSize;
            var b = g + planeSize;
            fixed (float* lut = Normalised)
            {
                for (var x = 0; x < width; x++, interleaved += 3)
                {
                    r[x] = lut[interleaved[0]];
                    g[x] = lut[interleaved[1]];
                    b[x] = lut[interleaved[2]];
                }
            }
        }
    }
}
