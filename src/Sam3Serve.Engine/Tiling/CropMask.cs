using System.Buffers;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine.Postprocessing;

namespace Sam3Serve.Engine.Tiling;

/// <summary>
/// A binary mask on the original image held only over its bounding rectangle: what the tile merge compares, unites
/// and hands to the renderer. Bits are 0/1, row-major over <see cref="BoundsWidth"/> × <see cref="BoundsHeight"/>.
/// </summary>
internal sealed class CropMask : IObjectMask
{
    private readonly byte[] _bits;

    private CropMask(int fullWidth, int fullHeight, int x, int y, int width, int height, byte[] bits, long area)
    {
        Width = fullWidth;
        Height = fullHeight;
        X = x;
        Y = y;
        BoundsWidth = width;
        BoundsHeight = height;
        _bits = bits;
        Area = area;
    }

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <summary>Left column of the bounds in the original image.</summary>
    public int X { get; }

    /// <summary>Top row of the bounds in the original image.</summary>
    public int Y { get; }

    /// <summary>Columns of the bounds (0 for an empty mask).</summary>
    public int BoundsWidth { get; }

    /// <summary>Rows of the bounds (0 for an empty mask).</summary>
    public int BoundsHeight { get; }

    /// <summary>Pixels inside.</summary>
    public long Area { get; }

    /// <summary>True when no pixel is inside.</summary>
    public bool IsEmpty => Area == 0;

    /// <inheritdoc />
    public void FillRow(int y, Span<byte> row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        var target = row[..Width];
        target.Clear();
        if (y >= Y && y < Y + BoundsHeight)
        {
            _bits.AsSpan((y - Y) * BoundsWidth, BoundsWidth).CopyTo(target.Slice(X, BoundsWidth));
        }
    }

    /// <summary>
    /// The mask <paramref name="source"/> (sized as the tile or image it was found on) placed at
    /// (<paramref name="offsetX"/>, <paramref name="offsetY"/>) of a <paramref name="fullWidth"/>×<paramref name="fullHeight"/>
    /// image. A <see cref="LogitMask"/> is read only over the rows and columns its positive cells can reach.
    /// </summary>
    public static CropMask Place(IObjectMask source, int offsetX, int offsetY, int fullWidth, int fullHeight)
    {
        int x0 = 0, y0 = 0, x1 = source.Width - 1, y1 = source.Height - 1;
        if (source is LogitMask logits)
        {
            var box = logits.ComputeBox();
            (x0, y0, x1, y1) = ((int)box[0], (int)box[1], (int)box[2], (int)box[3]);
        }
        var width = x1 - x0 + 1;
        var row = ArrayPool<byte>.Shared.Rent(source.Width);
        try
        {
            // First pass: the exact bounds inside the candidate rectangle.
            int minX = int.MaxValue, maxX = -1, minY = -1, maxY = -1;
            for (var y = y0; y <= y1; y++)
            {
                source.FillRow(y, row);
                var span = row.AsSpan(x0, width);
                var first = span.IndexOfAnyExcept((byte)0);
                if (first < 0)
                {
                    continue;
                }
                var last = span.LastIndexOfAnyExcept((byte)0);
                minX = Math.Min(minX, x0 + first);
                maxX = Math.Max(maxX, x0 + last);
                if (minY < 0)
                {
                    minY = y;
                }
                maxY = y;
            }
            if (maxX < 0)
            {
                return new CropMask(fullWidth, fullHeight, 0, 0, 0, 0, [], 0);
            }
            var bw = maxX - minX + 1;
            var bh = maxY - minY + 1;
            var bits = new byte[bw * bh];
            long area = 0;
            for (var y = minY; y <= maxY; y++)
            {
                source.FillRow(y, row);
                var target = bits.AsSpan((y - minY) * bw, bw);
                var span = row.AsSpan(minX, bw);
                for (var i = 0; i < bw; i++)
                {
                    var v = span[i] == 0 ? (byte)0 : (byte)1;
                    target[i] = v;
                    area += v;
                }
            }
            return new CropMask(fullWidth, fullHeight, minX + offsetX, minY + offsetY, bw, bh, bits, area);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
        }
    }

    /// <summary>Pixels inside both masks.</summary>
    public static long Intersection(CropMask a, CropMask b)
    {
        var x0 = Math.Max(a.X, b.X);
        var x1 = Math.Min(a.X + a.BoundsWidth, b.X + b.BoundsWidth);
        var y0 = Math.Max(a.Y, b.Y);
        var y1 = Math.Min(a.Y + a.BoundsHeight, b.Y + b.BoundsHeight);
        if (x0 >= x1 || y0 >= y1)
        {
            return 0;
        }
        long count = 0;
        for (var y = y0; y < y1; y++)
        {
            var ra = a._bits.AsSpan((y - a.Y) * a.BoundsWidth + (x0 - a.X), x1 - x0);
            var rb = b._bits.AsSpan((y - b.Y) * b.BoundsWidth + (x0 - b.X), x1 - x0);
            for (var i = 0; i < ra.Length; i++)
            {
                count += ra[i] & rb[i];
            }
        }
        return count;
    }

    /// <summary>Intersection over union of the two masks (0 when both are empty).</summary>
    public static double IoU(CropMask a, CropMask b)
    {
        var inter = Intersection(a, b);
        var union = a.Area + b.Area - inter;
        return union == 0 ? 0 : (double)inter / union;
    }

    /// <summary>The pixels inside any of <paramref name="masks"/> (all on the same image).</summary>
    public static CropMask Union(IReadOnlyList<CropMask> masks)
    {
        var present = masks.Where(m => !m.IsEmpty).ToList();
        var first = masks[0];
        if (present.Count == 0)
        {
            return first;
        }
        if (present.Count == 1)
        {
            return present[0];
        }
        var x0 = present.Min(m => m.X);
        var y0 = present.Min(m => m.Y);
        var x1 = present.Max(m => m.X + m.BoundsWidth);
        var y1 = present.Max(m => m.Y + m.BoundsHeight);
        int bw = x1 - x0, bh = y1 - y0;
        var bits = new byte[bw * bh];
        foreach (var m in present)
        {
            for (var y = 0; y < m.BoundsHeight; y++)
            {
                var source = m._bits.AsSpan(y * m.BoundsWidth, m.BoundsWidth);
                var target = bits.AsSpan((m.Y - y0 + y) * bw + (m.X - x0), m.BoundsWidth);
                for (var i = 0; i < source.Length; i++)
                {
                    target[i] |= source[i];
                }
            }
        }
        long area = 0;
        foreach (var v in bits)
        {
            area += v;
        }
        return new CropMask(first.Width, first.Height, x0, y0, bw, bh, bits, area);
    }
}
