using System.Runtime.InteropServices;
using Sam3Serve.Contracts.Inference;
using SkiaSharp;

namespace Sam3Serve.Imaging.Rendering;

/// <summary>PNG encoding of the renderers' images with SkiaSharp.</summary>
public static class PngWriter
{
    // zlib's default level with adaptive filters is far slower on large images for little gain here: masks
    // and previews are long runs that the Sub filter turns into zeros, and the overlay is a photo where Up at
    // level 1 costs a modest size increase.
    private static readonly SKPngEncoderOptions GrayOptions = new(SKPngEncoderFilterFlags.Sub, 1);
    private static readonly SKPngEncoderOptions ColourOptions = new(SKPngEncoderFilterFlags.Up, 1);

    /// <summary>
    /// Encodes single-channel 8-bit pixels (row-major, no padding: the first width × height bytes; a pooled
    /// array may be longer) as a greyscale PNG.
    /// </summary>
    public static byte[] EncodeGray8(byte[] pixels, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength < (long)width * height)
        {
            throw new ArgumentException($"expected {(long)width * height} bytes for {width}x{height} grey, got {pixels.LongLength}", nameof(pixels));
        }
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), width);
            return Encode(pixmap);
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>Encodes an RGB image as an opaque colour PNG.</summary>
    public static byte[] EncodeRgb(RgbImage image)
    {
        using var bitmap = ToOpaqueBitmap(image);
        return Encode(bitmap);
    }

    /// <summary>
    /// Copies an RGB image into an opaque RGBA8888 bitmap in native memory (Skia has no packed 24-bit
    /// colour type); encoding that bitmap writes an RGB PNG without an alpha channel.
    /// </summary>
    internal static SKBitmap ToOpaqueBitmap(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque)))
        {
            bitmap.Dispose();
            throw new InsufficientMemoryException($"cannot allocate a {image.Width}x{image.Height} bitmap");
        }
        var target = bitmap.GetPixelSpan();
        var source = image.Pixels.AsSpan();
        for (int s = 0, d = 0; s < source.Length; s += 3, d += 4)
        {
            target[d] = source[s];
            target[d + 1] = source[s + 1];
            target[d + 2] = source[s + 2];
            target[d + 3] = 255;
        }
        return bitmap;
    }

    internal static byte[] Encode(SKBitmap bitmap)
    {
        using var pixmap = bitmap.PeekPixels();
        return Encode(pixmap);
    }

    private static byte[] Encode(SKPixmap pixmap)
    {
        var options = pixmap.ColorType == SKColorType.Gray8 ? GrayOptions : ColourOptions;
        using var data = pixmap.Encode(options)
            ?? throw new InvalidOperationException($"PNG encoding of a {pixmap.Width}x{pixmap.Height} {pixmap.ColorType} image failed");
        return data.ToArray();
    }
}
