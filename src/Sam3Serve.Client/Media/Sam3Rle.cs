namespace Sam3Serve.Client;

/// <summary>
/// A binary mask in COCO compressed RLE (<c>{"size": [h, w], "counts": "..."}</c>): run lengths over the
/// pixels in column-major order, starting with a run of zeros, each run written in 5-bit chunks as the
/// characters 48–111, and every run from the fourth on stored as its difference to the run two before.
/// </summary>
public sealed class Sam3Rle
{
    /// <summary>An RLE mask of <paramref name="height"/> × <paramref name="width"/> pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public Sam3Rle(int height, int width, string counts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentNullException.ThrowIfNull(counts);
        Height = height;
        Width = width;
        Counts = counts;
    }

    /// <summary>Rows (the first number of <c>size</c>).</summary>
    public int Height { get; }

    /// <summary>Columns (the second number of <c>size</c>).</summary>
    public int Width { get; }

    /// <summary>The compressed <c>counts</c> string.</summary>
    public string Counts { get; }

    /// <summary>The run lengths, first a run of zeros, in column-major pixel order.</summary>
    /// <exception cref="FormatException">The string is not valid compressed RLE.</exception>
    public IReadOnlyList<long> DecodeRuns() => DecodeRuns(Counts);

    /// <summary>
    /// The mask as <see cref="Height"/> × <see cref="Width"/> bytes, row-major (index <c>y * Width + x</c>),
    /// 1 inside and 0 outside.
    /// </summary>
    /// <exception cref="FormatException">The string is not valid compressed RLE or its runs do not cover the image exactly.</exception>
    public byte[] Decode()
    {
        var runs = DecodeRuns(Counts);
        long total = (long)Height * Width;
        var pixels = new byte[total];
        long position = 0;
        for (var r = 0; r < runs.Length; r++)
        {
            var run = runs[r];
            if (run < 0 || position + run > total)
            {
                throw new FormatException($"RLE runs exceed the {Height}x{Width} image at run {r}");
            }
            if ((r & 1) == 1)
            {
                // Column-major position p is row p % Height, column p / Height.
                for (var p = position; p < position + run; p++)
                {
                    pixels[(p % Height) * Width + p / Height] = 1;
                }
            }
            position += run;
        }
        if (position != total)
        {
            throw new FormatException($"RLE runs cover {position} pixels, the {Height}x{Width} image has {total}");
        }
        return pixels;
    }

    private static long[] DecodeRuns(string counts)
    {
        var runs = new List<long>(counts.Length);
        var p = 0;
        while (p < counts.Length)
        {
            long x = 0;
            var shift = 0;
            bool more;
            do
            {
                if (p >= counts.Length)
                {
                    throw new FormatException("RLE counts end in the middle of a number");
                }
                var c = counts[p++] - 48;
                if (c is < 0 or > 63)
                {
                    throw new FormatException($"RLE counts hold '{counts[p - 1]}', outside the characters 48-111");
                }
                if (shift > 58)
                {
                    throw new FormatException("RLE count too long");
                }
                x |= (long)(c & 0x1f) << shift;
                shift += 5;
                more = (c & 0x20) != 0;
                if (!more && (c & 0x10) != 0)
                {
                    x |= -1L << shift; // sign-extend a negative difference
                }
            }
            while (more);
            if (runs.Count > 2)
            {
                x += runs[^2];
            }
            runs.Add(x);
        }
        return [.. runs];
    }
}
