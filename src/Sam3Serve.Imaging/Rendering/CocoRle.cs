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

        // Walking the mask column by column strides through memory; instead find where each column changes
        // value by comparing every row with the one above (sequential, vectorised), then replay per column.
        var changeX = new List<int>();
        var changeY = new List<int>();
        for (var y = 1; y < height; y++)
        {
            var row = rowMajorMask.Slice(y * width, width);
            var above = rowMajorMask.Slice((y - 1) * width, width);
            for (var x = row.CommonPrefixLength(above); x < width; x += 1 + row[(x + 1)..].CommonPrefixLength(above[(x + 1)..]))
            {
                if ((row[x] == 0) != (above[x] == 0))
                {
                    changeX.Add(x);
                    changeY.Add(y);
                }
            }
        }

        // Counting sort of the changes by column; rows stay ascending within a column because they were found in order.
        var columnStart = new int[width + 1];
        foreach (var x in changeX)
        {
            columnStart[x + 1]++;
        }
        for (var x = 0; x < width; x++)
        {
            columnStart[x + 1] += columnStart[x];
        }
        var next = columnStart[..width];
        var rows = new int[changeX.Count];
        for (var k = 0; k < changeX.Count; k++)
        {
            rows[next[changeX[k]]++] = changeY[k];
        }

        var writer = new RunWriter();
        for (var x = 0; x < width; x++)
        {
            var inside = rowMajorMask[x] != 0;
            var from = 0;
            for (var k = columnStart[x]; k < columnStart[x + 1]; k++)
            {
                writer.Add(inside, rows[k] - from);
                inside = !inside;
                from = rows[k];
            }
            writer.Add(inside, height - from);
        }
        return writer.Finish();
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

    /// <summary>Merges (value, length) pieces into alternating runs, starting with zeros, and writes them.</summary>
    private sealed class RunWriter
    {
        private readonly StringBuilder _text = new();
        private bool _inside;
        private long _run;
        private int _index;
        private long _previous1;
        private long _previous2;

        public void Add(bool inside, long length)
        {
            if (inside != _inside)
            {
                Write(_run);
                _inside = inside;
                _run = 0;
            }
            _run += length;
        }

        public string Finish()
        {
            Write(_run);
            return _text.ToString();
        }

        private void Write(long count)
        {
            var value = _index > 2 ? count - _previous2 : count;
            _previous2 = _previous1;
            _previous1 = count;
            _index++;
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
                _text.Append((char)(group + 48));
            }
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
