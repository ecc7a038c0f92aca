using System.Text;

namespace Sam3Serve.Imaging.Rendering;

/// <summary>
/// COCO compressed RLE (the <c>counts</c> string of <c>{"size": [h, w], "counts": ...}</c>), as pycocotools
/// reads and writes it: run lengths over the mask in column-major order, starting with a (possibly empty)
/// run of zeros; each count from the fourth on is stored as its difference from the count two before; each
/// value is written in 5-bit groups, least significant first, one character ('0' + group) per group, with
/// 0x20 set on every group but the last and the last group's 0x10 bit carrying the sign.
/// </summary>
public static class CocoRle
{
    /// <summary>Encodes a row-major mask (nonzero = inside) of <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static string Encode(ReadOnlySpan<byte> rowMajorMask, int width, int height)
    {
        CheckSize(rowMajorMask.Length, width, height);
        var text = new StringBuilder();
        long previous2 = 0, previous1 = 0;
        var index = 0;
        var inside = false;
        long run = 0;
        for (var x = 0; x < width; x++)
        {
            for (var y = 0; y < height; y++)
            {
                var value = rowMajorMask[(y * width) + x] != 0;
                if (value != inside)
                {
                    Append(text, run, index++, ref previous2, ref previous1);
                    inside = value;
                    run = 0;
                }
                run++;
            }
        }
        Append(text, run, index, ref previous2, ref previous1);
        return text.ToString();
    }

    /// <summary>
    /// Decodes <paramref name="counts"/> into a row-major mask of 0 and 1. Throws <see cref="FormatException"/>
    /// when the string is malformed or its runs do not cover exactly <paramref name="width"/> × <paramref name="height"/> pixels.
    /// </summary>
    public static byte[] Decode(string counts, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(counts);
        CheckSize((long)width * height, width, height);
        var mask = new byte[width * height];
        long total = (long)width * height;
        long position = 0;
        long previous2 = 0, previous1 = 0;
        var index = 0;
        var p = 0;
        while (p < counts.Length)
        {
            long value = 0;
            var shift = 0;
            while (true)
            {
                if (p >= counts.Length)
                {
                    throw new FormatException("RLE counts end in the middle of a number");
                }
                var c = counts[p++] - 48;
                if (c is < 0 or > 63 || shift > 55)
                {
                    throw new FormatException($"RLE counts hold an invalid character at {p - 1}");
                }
                value |= (long)(c & 0x1F) << shift;
                shift += 5;
                if ((c & 0x20) == 0)
                {
                    if ((c & 0x10) != 0)
                    {
                        value |= -1L << shift;
                    }
                    break;
                }
            }
            if (index > 2)
            {
                value += previous2;
            }
            if (value < 0 || position + value > total)
            {
                throw new FormatException($"RLE run {index} ({value}) does not fit a {width}x{height} mask");
            }
            if ((index & 1) == 1)
            {
                var x = (int)(position / height);
                var y = (int)(position % height);
                for (long k = 0; k < value; k++)
                {
                    mask[(y * width) + x] = 1;
                    if (++y == height)
                    {
                        y = 0;
                        x++;
                    }
                }
            }
            position += value;
            previous2 = previous1;
            previous1 = value;
            index++;
        }
        if (position != total)
        {
            throw new FormatException($"RLE runs cover {position} pixels, expected {total}");
        }
        return mask;
    }

    private static void Append(StringBuilder text, long count, int index, ref long previous2, ref long previous1)
    {
        var value = index > 2 ? count - previous2 : count;
        previous2 = previous1;
        previous1 = count;
        var more = true;
        while (more)
        {
            var group = (int)(value & 0x1F);
            value >>= 5;
            more = (group & 0x10) != 0 ? value != -1 : value != 0;
            if (more)
            {
                group |= 0x20;
            }
            text.Append((char)(group + 48));
        }
    }

    private static void CheckSize(long length, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (length != (long)width * height)
        {
            throw new ArgumentException($"mask holds {length} bytes, expected {width}x{height}");
        }
    }
}
