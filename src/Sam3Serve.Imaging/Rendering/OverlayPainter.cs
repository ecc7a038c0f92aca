namespace Sam3Serve.Imaging.Rendering;

/// <summary>Paints one mask onto an RGBA overlay: half-transparent tint inside, a solid 2 px outline across the border.</summary>
internal static class OverlayPainter
{
    /// <summary>A distinct, saturated colour per object index (golden-ratio hue steps), as R, G, B.</summary>
    public static (byte R, byte G, byte B) ColourFor(int index)
    {
        var hue = (index * 0.618033988749895) % 1.0 * 6.0;
        const double saturation = 0.8, value = 1.0;
        var sector = (int)hue;
        var f = hue - sector;
        var p = value * (1 - saturation);
        var q = value * (1 - (saturation * f));
        var t = value * (1 - (saturation * (1 - f)));
        var (r, g, b) = sector switch
        {
            0 => (value, t, p),
            1 => (q, value, p),
            2 => (p, value, t),
            3 => (p, q, value),
            4 => (t, p, value),
            _ => (value, p, q),
        };
        return ((byte)Math.Round(r * 255), (byte)Math.Round(g * 255), (byte)Math.Round(b * 255));
    }

    /// <summary>
    /// Tints pixels of <paramref name="rgba"/> where <paramref name="mask"/> (0/1, row-major) is set. Mask
    /// pixels with an outside pixel among their 8 neighbours, and outside pixels with a mask pixel among their
    /// 4 neighbours, get the solid colour; the image border does not count as outside. Works on runs of equal
    /// pixels found with vectorised searches, so the cost follows the mask's outline, not its area.
    /// </summary>
    public static void Paint(Span<byte> rgba, ReadOnlySpan<byte> mask, int width, int height, (byte R, byte G, byte B) colour)
    {
        for (var y = 0; y < height; y++)
        {
            var row = mask.Slice(y * width, width);
            var above = y > 0 ? mask.Slice((y - 1) * width, width) : default;
            var below = y < height - 1 ? mask.Slice((y + 1) * width, width) : default;
            var pixels = rgba.Slice(y * width * 4, width * 4);

            for (var x = 0; NextRun(row, x, nonzero: true, out var a, out var b); x = b)
            {
                Blend(pixels, a, b, colour);
                // Each end of the run and the outside pixel beside it; then every run pixel within one column of
                // an outside pixel in the row above or below.
                if (a > 0)
                {
                    Solid(pixels, a - 1, a + 1, colour);
                }
                if (b < width)
                {
                    Solid(pixels, b - 1, b + 1, colour);
                }
                int lo = Math.Max(a - 1, 0), hi = Math.Min(b + 1, width);
                OutlineNearZeros(pixels, above, lo, hi, a, b, colour);
                OutlineNearZeros(pixels, below, lo, hi, a, b, colour);
            }

            // Outer outline: outside pixels directly under or over a mask pixel of the next or previous row.
            OutlineUnder(pixels, row, above, colour);
            OutlineUnder(pixels, row, below, colour);
        }
    }

    private static void OutlineNearZeros(Span<byte> pixels, ReadOnlySpan<byte> neighbour, int lo, int hi, int a, int b,
        (byte R, byte G, byte B) colour)
    {
        if (neighbour.IsEmpty)
        {
            return;
        }
        var window = neighbour[lo..hi];
        for (var x = 0; NextRun(window, x, nonzero: false, out var za, out var zb); x = zb)
        {
            Solid(pixels, Math.Max(lo + za - 1, a), Math.Min(lo + zb + 1, b), colour);
        }
    }

    private static void OutlineUnder(Span<byte> pixels, ReadOnlySpan<byte> row, ReadOnlySpan<byte> neighbour, (byte R, byte G, byte B) colour)
    {
        if (neighbour.IsEmpty)
        {
            return;
        }
        for (var x = 0; NextRun(neighbour, x, nonzero: true, out var c, out var d); x = d)
        {
            var under = row[c..d];
            for (var u = 0; NextRun(under, u, nonzero: false, out var e, out var f); u = f)
            {
                Solid(pixels, c + e, c + f, colour);
            }
        }
    }

    /// <summary>Finds the next run of nonzero (or zero) bytes at or after <paramref name="from"/>.</summary>
    private static bool NextRun(ReadOnlySpan<byte> span, int from, bool nonzero, out int start, out int end)
    {
        var rest = span[from..];
        var i = nonzero ? rest.IndexOfAnyExcept((byte)0) : rest.IndexOf((byte)0);
        if (i < 0)
        {
            start = end = span.Length;
            return false;
        }
        start = from + i;
        var tail = span[start..];
        var j = nonzero ? tail.IndexOf((byte)0) : tail.IndexOfAnyExcept((byte)0);
        end = j < 0 ? span.Length : start + j;
        return true;
    }

    private static void Blend(Span<byte> pixels, int from, int to, (byte R, byte G, byte B) colour)
    {
        for (var o = from * 4; o < to * 4; o += 4)
        {
            pixels[o] = (byte)((pixels[o] + colour.R + 1) >> 1);
            pixels[o + 1] = (byte)((pixels[o + 1] + colour.G + 1) >> 1);
            pixels[o + 2] = (byte)((pixels[o + 2] + colour.B + 1) >> 1);
        }
    }

    /// <summary>Paints pixels [from, to) of the row solid, where they lie in the span's pixels; safe to repeat.</summary>
    private static void Solid(Span<byte> pixels, int from, int to, (byte R, byte G, byte B) colour)
    {
        from = Math.Max(from, 0);
        to = Math.Min(to, pixels.Length / 4);
        for (var o = from * 4; o < to * 4; o += 4)
        {
            pixels[o] = colour.R;
            pixels[o + 1] = colour.G;
            pixels[o + 2] = colour.B;
        }
    }
}
