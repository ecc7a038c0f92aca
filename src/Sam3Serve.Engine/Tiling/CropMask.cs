using System.Buffers;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine.Postprocessing;

namespace Sam3Serve.Engine.Tiling;

/// <summary>
/// A mask of one pass (or a union of several) read on the original image, with its exact bounds and area computed
/// once. Nothing is materialised: rows come from the pass's own masks (low-resolution logits upsampled on demand), so
/// memory per detection stays that of its logits however large the image; comparisons read only the rows and
/// columns where both masks can be inside.
/// </summary>
internal sealed class CropMask : IObjectMask
{
    private readonly IObjectMask[] _sources;
    private readonly (int X, int Y)[] _offsets;

    private CropMask(IObjectMask[] sources, (int X, int Y)[] offsets, int fullWidth, int fullHeight, (int X0, int Y0, int X1, int Y1)? candidate)
    {
        _sources = sources;
        _offsets = offsets;
        Width = fullWidth;
        Height = fullHeight;
        if (candidate is not { } c || c.X1 < c.X0 || c.Y1 < c.Y0)
        {
            return;
        }
        // The exact bounds and the area, scanning only the candidate rectangle.
        int minX = int.MaxValue, maxX = -1, minY = -1, maxY = -1;
        long area = 0;
        var width = c.X1 - c.X0 + 1;
        var row = ArrayPool<byte>.Shared.Rent(width);
        try
        {
            for (var y = c.Y0; y <= c.Y1; y++)
            {
                var span = row.AsSpan(0, width);
                FillSpan(y, c.X0, span);
                var first = span.IndexOfAnyExcept((byte)0);
                if (first < 0)
                {
                    continue;
                }
                var last = span.LastIndexOfAnyExcept((byte)0);
                area += width - span.Count((byte)0);
                minX = Math.Min(minX, c.X0 + first);
                maxX = Math.Max(maxX, c.X0 + last);
                if (minY < 0)
                {
                    minY = y;
                }
                maxY = y;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
        }
        if (maxX >= 0)
        {
            X = minX;
            Y = minY;
            BoundsWidth = maxX - minX + 1;
            BoundsHeight = maxY - minY + 1;
            Area = area;
        }
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
        if (BoundsWidth > 0 && y >= Y && y < Y + BoundsHeight)
        {
            FillSpan(y, X, target.Slice(X, BoundsWidth));
        }
    }

    /// <summary>Row <paramref name="y"/> from column <paramref name="x"/>, <paramref name="target"/>.Length columns: 1 inside, 0 outside.</summary>
    private void FillSpan(int y, int x, Span<byte> target)
    {
        target.Clear();
        for (var s = 0; s < _sources.Length; s++)
        {
            var source = _sources[s];
            var (ox, oy) = _offsets[s];
            var sy = y - oy;
            if (sy < 0 || sy >= source.Height)
            {
                continue;
            }
            // The part of the wanted columns this source covers.
            var from = Math.Max(x, ox);
            var to = Math.Min(x + target.Length, ox + source.Width);
            if (from >= to)
            {
                continue;
            }
            var into = target.Slice(from - x, to - from);
            if (source is LogitMask logits)
            {
                // Only the columns wanted are upsampled (the same values a whole row gives at those columns).
                var values = ArrayPool<float>.Shared.Rent(to - from);
                try
                {
                    var span = values.AsSpan(0, to - from);
                    logits.Plan.UpsampleRow(logits.Logits, sy, from - ox, span);
                    for (var i = 0; i < span.Length; i++)
                    {
                        into[i] |= span[i] > 0f ? (byte)1 : (byte)0;
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(values);
                }
                continue;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(source.Width);
            try
            {
                source.FillRow(sy, buffer);
                var part = buffer.AsSpan(from - ox, to - from);
                for (var i = 0; i < part.Length; i++)
                {
                    into[i] |= part[i] == 0 ? (byte)0 : (byte)1;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// The mask <paramref name="source"/> (sized as the tile or image it was found on) placed at
    /// (<paramref name="offsetX"/>, <paramref name="offsetY"/>) of a <paramref name="fullWidth"/>×<paramref name="fullHeight"/>
    /// image. A <see cref="LogitMask"/> is scanned only over the rows and columns its positive cells can reach.
    /// </summary>
    public static CropMask Place(IObjectMask source, int offsetX, int offsetY, int fullWidth, int fullHeight)
    {
        int x0 = 0, y0 = 0, x1 = source.Width - 1, y1 = source.Height - 1;
        if (source is LogitMask logits)
        {
            var box = logits.ComputeBox();
            (x0, y0, x1, y1) = ((int)box[0], (int)box[1], (int)box[2], (int)box[3]);
        }
        return new CropMask([source], [(offsetX, offsetY)], fullWidth, fullHeight, (x0 + offsetX, y0 + offsetY, x1 + offsetX, y1 + offsetY));
    }

    /// <summary>Pixels inside both masks.</summary>
    public static long Intersection(CropMask a, CropMask b)
    {
        var x0 = Math.Max(a.X, b.X);
        var x1 = Math.Min(a.X + a.BoundsWidth, b.X + b.BoundsWidth);
        var y0 = Math.Max(a.Y, b.Y);
        var y1 = Math.Min(a.Y + a.BoundsHeight, b.Y + b.BoundsHeight);
        if (a.IsEmpty || b.IsEmpty || x0 >= x1 || y0 >= y1)
        {
            return 0;
        }
        var width = x1 - x0;
        var ra = ArrayPool<byte>.Shared.Rent(width);
        var rb = ArrayPool<byte>.Shared.Rent(width);
        long count = 0;
        try
        {
            for (var y = y0; y < y1; y++)
            {
                a.FillSpan(y, x0, ra.AsSpan(0, width));
                b.FillSpan(y, x0, rb.AsSpan(0, width));
                for (var i = 0; i < width; i++)
                {
                    count += ra[i] & rb[i];
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(ra);
            ArrayPool<byte>.Shared.Return(rb);
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
        if (present.Count == 0)
        {
            return masks[0];
        }
        if (present.Count == 1)
        {
            return present[0];
        }
        var bounds = (present.Min(m => m.X), present.Min(m => m.Y), present.Max(m => m.X + m.BoundsWidth - 1), present.Max(m => m.Y + m.BoundsHeight - 1));
        return new CropMask(
            [.. present.SelectMany(m => m._sources)], [.. present.SelectMany(m => m._offsets)], present[0].Width, present[0].Height, bounds);
    }
}
