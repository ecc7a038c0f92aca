using SkiaSharp;

namespace Sam3Serve.Imaging.Input;

/// <summary>Applies an EXIF orientation while copying decoded RGBA into packed RGB.</summary>
internal static class Orientation
{
    /// <summary>True for the four orientations (5–8) whose upright image has width and height swapped.</summary>
    public static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>
    /// Copies <paramref name="rgba"/> (stored orientation, <paramref name="width"/> × <paramref name="height"/>)
    /// into <paramref name="rgb"/> upright. Each stored pixel (x, y) lands at upright (x0 + x·dxX + y·dyX,
    /// y0 + x·dxY + y·dyY): a walk along the stored row moves by (dxX, dxY) in the output.
    /// </summary>
    public static void CopyRgb(ReadOnlySpan<byte> rgba, int width, int height, int rowBytes, SKEncodedOrigin origin, Span<byte> rgb)
    {
        var (outWidth, outHeight) = SwapsAxes(origin) ? (height, width) : (width, height);
        var (x0, y0, dxX, dxY, dyX, dyY) = origin switch
        {
            SKEncodedOrigin.TopRight => (width - 1, 0, -1, 0, 0, 1),
            SKEncodedOrigin.BottomRight => (width - 1, height - 1, -1, 0, 0, -1),
            SKEncodedOrigin.BottomLeft => (0, height - 1, 1, 0, 0, -1),
            SKEncodedOrigin.LeftTop => (0, 0, 0, 1, 1, 0),
            SKEncodedOrigin.RightTop => (height - 1, 0, 0, 1, -1, 0),
            SKEncodedOrigin.RightBottom => (height - 1, width - 1, 0, -1, -1, 0),
            SKEncodedOrigin.LeftBottom => (0, width - 1, 0, -1, 1, 0),
            _ => (0, 0, 1, 0, 0, 1),
        };

        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default)
        {
            for (var y = 0; y < height; y++)
            {
                DropAlpha(rgba.Slice(y * rowBytes, width * 4), rgb.Slice(y * width * 3, width * 3));
            }
            return;
        }

        var step = ((dxY * outWidth) + dxX) * 3;
        for (var y = 0; y < height; y++)
        {
            var src = rgba.Slice(y * rowBytes, width * 4);
            var ox = x0 + (y * dyX);
            var oy = y0 + (y * dyY);
            var dst = ((oy * outWidth) + ox) * 3;
            for (var x = 0; x < width; x++, dst += step)
            {
                rgb[dst] = src[x * 4];
                rgb[dst + 1] = src[(x * 4) + 1];
                rgb[dst + 2] = src[(x * 4) + 2];
            }
        }
    }

    private static void DropAlpha(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        for (int s = 0, d = 0; d < rgb.Length; s += 4, d += 3)
        {
            rgb[d] = rgba[s];
            rgb[d + 1] = rgba[s + 1];
            rgb[d + 2] = rgba[s + 2];
        }
    }
}
