using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
            PackRgba(rgbaRow[..(_width * 4)], rgb.Slice(y * _width * 3, _width * 3));
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

    // Byte shuffle taking four RGBA pixels (16 bytes) to four RGB pixels (the first 12 bytes).
    private static readonly Vector128<byte> RgbaToRgb = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80);

    /// <summary>Drops the alpha byte of every pixel: 16 bytes in, 12 out per step, the tail one pixel at a time.</summary>
    internal static void PackRgba(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        int s = 0, d = 0;
        ref var source = ref MemoryMarshal.GetReference(rgba);
        ref var target = ref MemoryMarshal.GetReference(rgb);
        // Each store writes 16 bytes of which the last 4 are overwritten by the next step, so stop while 16 fit.
        for (; s + 16 <= rgba.Length && d + 16 <= rgb.Length; s += 16, d += 12)
        {
            Vector128.Shuffle(Vector128.LoadUnsafe(ref source, (nuint)s), RgbaToRgb).StoreUnsafe(ref target, (nuint)d);
        }
        for (; d + 3 <= rgb.Length; s += 4, d += 3)
        {
            rgb[d] = rgba[s];
            rgb[d + 1] = rgba[s + 1];
            rgb[d + 2] = rgba[s + 2];
        }
    }
}
