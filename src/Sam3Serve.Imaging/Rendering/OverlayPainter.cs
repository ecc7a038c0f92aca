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
    /// 4 neighbours, get the solid colour; the image border does not count as outside.
    /// </summary>
    public static void Paint(Span<byte> rgba, ReadOnlySpan<byte> mask, int width, int height, (byte R, byte G, byte B) colour)
    {
        for (var y = 0; y < height; y++)
        {
            var row = mask.Slice(y * width, width);
            var above = y > 0 ? mask.Slice((y - 1) * width, width) : row;
            var below = y < height - 1 ? mask.Slice((y + 1) * width, width) : row;
            var first = MinNonNegative(row.IndexOfAnyExcept((byte)0), above.IndexOfAnyExcept((byte)0), below.IndexOfAnyExcept((byte)0));
            if (first < 0)
            {
                continue;
            }
            var last = Math.Max(row.LastIndexOfAnyExcept((byte)0), Math.Max(above.LastIndexOfAnyExcept((byte)0), below.LastIndexOfAnyExcept((byte)0)));
            var from = Math.Max(first - 1, 0);
            var to = Math.Min(last + 1, width - 1);
            var pixels = rgba.Slice(y * width * 4, width * 4);
            for (var x = from; x <= to; x++)
            {
                var left = x > 0 ? x - 1 : x;
                var right = x < width - 1 ? x + 1 : x;
                bool outline;
                if (row[x] != 0)
                {
                    outline = row[left] == 0 || row[right] == 0
                        || above[left] == 0 || above[x] == 0 || above[right] == 0
                        || below[left] == 0 || below[x] == 0 || below[right] == 0;
                }
                else
                {
                    outline = row[left] != 0 || row[right] != 0 || above[x] != 0 || below[x] != 0;
                    if (!outline)
                    {
                        continue;
                    }
                }
                var o = x * 4;
                if (outline)
                {
                    pixels[o] = colour.R;
                    pixels[o + 1] = colour.G;
                    pixels[o + 2] = colour.B;
                }
                else
                {
                    pixels[o] = (byte)((pixels[o] + colour.R + 1) >> 1);
                    pixels[o + 1] = (byte)((pixels[o + 1] + colour.G + 1) >> 1);
                    pixels[o + 2] = (byte)((pixels[o + 2] + colour.B + 1) >> 1);
                }
            }
        }
    }

    private static int MinNonNegative(int a, int b, int c)
    {
        var min = int.MaxValue;
        foreach (var v in (ReadOnlySpan<int>)[a, b, c])
        {
            if (v >= 0 && v < min)
            {
                min = v;
            }
        }
        return min == int.MaxValue ? -1 : min;
    }
}
