using SkiaSharp;

namespace Sam3Serve.Imaging.Input;

/// <summary>Applies an EXIF orientation while copying decoded RGBA rows into packed upright RGB.</summary>
internal sealed class Orientation
{
    private readonly int _width;
    private readonly int _outWidth;
    private readonly bool _identity;
    private readonly int _x0, _y0, _dxX, _dxY, _dyX, _dyY;

    /// <summary>
    /// Prepares to copy a stored <paramref name="width"/> × <paramref name="height"/> image. Stored pixel (x, y)
    /// lands at upright (x0 + x·dxX + y·dyX, y0 + x·dxY + y·dyY), so a walk along a stored row is a straight
    /// walk in the output.
    /// </summary>
    public Orientation(int width, int height, SKEncodedOrigin origin)
    {
        _width = width;
        _outWidth = SwapsAxes(origin) ? height : width;
        _identity = origin is SKEncodedOrigin.TopLeft;
        (_x0, _y0, _dxX, _dxY, _dyX, _dyY) = origin switch
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
    }

    /// <summary>True for the four orientations (5–8) whose upright image has width and height swapped.</summary>
    public static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>Copies stored row <paramref name="y"/> (RGBA, alpha dropped) to its upright place in <paramref name="rgb"/>.</summary>
    public void CopyRow(ReadOnlySpan<byte> rgbaRow, int y, Span<byte> rgb)
    {
        if (_identity)
        {
            var target = rgb.Slice(y * _width * 3, _width * 3);
            for (int s = 0, d = 0; d < target.Length; s += 4, d += 3)
            {
                target[d] = rgbaRow[s];
                target[d + 1] = rgbaRow[s + 1];
                target[d + 2] = rgbaRow[s + 2];
            }
            return;
        }
        var step = ((_dxY * _outWidth) + _dxX) * 3;
        var dst = (((_y0 + (y * _dyY)) * _outWidth) + _x0 + (y * _dyX)) * 3;
        for (var x = 0; x < _width; x++, dst += step)
        {
            rgb[dst] = rgbaRow[x * 4];
            rgb[dst + 1] = rgbaRow[(x * 4) + 1];
            rgb[dst + 2] = rgbaRow[(x * 4) + 2];
        }
    }
}
