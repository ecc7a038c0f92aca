using System.Buffers;
using System.Runtime.InteropServices;
using Sam3Serve.Contracts.Inference;
using SkiaSharp;

namespace Sam3Serve.Imaging.Input;

/// <summary>
/// Decodes JPEG, PNG, WebP, BMP and GIF (first frame) into RGB24 with EXIF orientation applied. The pixel
/// count is checked from the header before any pixel memory is taken.
/// </summary>
public static class ImageDecoder
{
    // Skia hands out one shared sRGB object; disposing it is a no-op, so it is kept rather than fetched per image.
    private static readonly SKColorSpace Srgb = SKColorSpace.CreateSrgb();

    /// <summary>
    /// Reads only the header: format and size after EXIF orientation. Throws <see cref="ImageInputException"/>
    /// Invalid for data that is not a supported image, TooLarge when width × height exceeds <paramref name="maxPixels"/>.
    /// </summary>
    public static ImageInfo Probe(byte[] data, long maxPixels)
    {
        using var codec = OpenCodec(data);
        return CheckedInfo(codec, maxPixels);
    }

    /// <summary>
    /// Decodes to packed RGB24, oriented as the EXIF tag says, converted to sRGB. Throws
    /// <see cref="ImageInputException"/> Invalid for unsupported, corrupt or truncated data, TooLarge as <see cref="Probe"/>.
    /// </summary>
    public static RgbImage Decode(byte[] data, long maxPixels)
    {
        using var codec = OpenCodec(data);
        var info = CheckedInfo(codec, maxPixels);
        var stored = codec.Info;

        // Premultiplied RGBA holds each colour already multiplied by its alpha, which is exactly the colour
        // composited over black; dropping the alpha byte therefore gives "alpha over black".
        var decodeInfo = new SKImageInfo(stored.Width, stored.Height, SKColorType.Rgba8888, SKAlphaType.Premul, Srgb);
        var pixels = new byte[(long)info.Width * info.Height * 3];
        var orientation = new Orientation(stored.Width, stored.Height, codec.EncodedOrigin);

        // Row by row where the codec can (JPEG): only one RGBA row exists besides the output. Skia's PNG, WebP
        // and GIF codecs have no scanline decoding, and BMP may run bottom-up; those decode whole into a native
        // RGBA buffer first.
        var result = codec.StartScanlineDecode(decodeInfo) == SKCodecResult.Success && codec.ScanlineOrder == SKCodecScanlineOrder.TopDown
            ? DecodeByRows(codec, decodeInfo, orientation, pixels)
            : DecodeWhole(codec, decodeInfo, orientation, pixels);
        switch (result)
        {
            case SKCodecResult.Success:
                return new RgbImage(info.Width, info.Height, pixels);
            case SKCodecResult.IncompleteInput:
                throw new ImageInputException(ImageErrorKind.Invalid, "image data is truncated");
            case SKCodecResult.ErrorInInput:
            case SKCodecResult.InvalidInput:
                throw new ImageInputException(ImageErrorKind.Invalid, $"image data is corrupt ({info.Format})");
            default:
                throw new ImageInputException(ImageErrorKind.Invalid, $"image could not be decoded ({info.Format}: {result})");
        }
    }

    // Rows per GetScanlines call: one call per row costs a native transition and codec set-up per row, a
    // whole-image buffer costs memory; a band of about 64 KiB keeps both small.
    private const int BandBytes = 64 * 1024;

    private static SKCodecResult DecodeByRows(SKCodec codec, SKImageInfo decodeInfo, Orientation orientation, byte[] pixels)
    {
        var rowBytes = decodeInfo.RowBytes;
        var band = Math.Max(1, BandBytes / rowBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(band * rowBytes);
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            var address = handle.AddrOfPinnedObject();
            for (var y = 0; y < decodeInfo.Height; y += band)
            {
                var rows = Math.Min(band, decodeInfo.Height - y);
                if (codec.GetScanlines(address, rows, rowBytes) != rows)
                {
                    return SKCodecResult.IncompleteInput;
                }
                for (var r = 0; r < rows; r++)
                {
                    orientation.CopyRow(buffer.AsSpan(r * rowBytes, decodeInfo.Width * 4), y + r, pixels);
                }
            }
            return SKCodecResult.Success;
        }
        finally
        {
            handle.Free();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static SKCodecResult DecodeWhole(SKCodec codec, SKImageInfo decodeInfo, Orientation orientation, byte[] pixels)
    {
        using var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(decodeInfo))
        {
            throw new ImageInputException(ImageErrorKind.TooLarge,
                $"image of {decodeInfo.Width}x{decodeInfo.Height} pixels could not be given memory to decode");
        }
        var options = new SKCodecOptions(frameIndex: 0) { ZeroInitialized = SKZeroInitialized.No };
        var result = codec.GetPixels(decodeInfo, bitmap.GetPixels(), bitmap.RowBytes, options);
        if (result == SKCodecResult.Success)
        {
            var all = bitmap.GetPixelSpan();
            for (var y = 0; y < decodeInfo.Height; y++)
            {
                orientation.CopyRow(all.Slice(y * bitmap.RowBytes, decodeInfo.Width * 4), y, pixels);
            }
        }
        return result;
    }

    private static SKCodec OpenCodec(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image is empty");
        }
        var stream = new SKMemoryStream(data);
        var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            stream.Dispose();
            throw new ImageInputException(ImageErrorKind.Invalid, result == SKCodecResult.IncompleteInput
                ? "image data is truncated"
                : "image is not a supported image file (JPEG, PNG, WebP, BMP or GIF)");
        }
        if (FormatName(codec.EncodedFormat) is null)
        {
            var format = codec.EncodedFormat.ToString().ToLowerInvariant();
            codec.Dispose();
            throw new ImageInputException(ImageErrorKind.Invalid, $"image format '{format}' is not supported; use JPEG, PNG, WebP, BMP or GIF");
        }
        return codec;
    }

    private static ImageInfo CheckedInfo(SKCodec codec, long maxPixels)
    {
        var stored = codec.Info;
        if (stored.Width <= 0 || stored.Height <= 0)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image declares no pixels");
        }
        var pixels = (long)stored.Width * stored.Height;
        if (pixels > maxPixels)
        {
            throw new ImageInputException(ImageErrorKind.TooLarge,
                $"image declares {stored.Width}x{stored.Height} pixels, over the limit of {maxPixels}");
        }
        // The RGB output is one managed array and the decode buffer one native block, both int-indexed.
        if (pixels * 4 > int.MaxValue)
        {
            throw new ImageInputException(ImageErrorKind.TooLarge,
                $"image declares {stored.Width}x{stored.Height} pixels, more than this service can hold in one image");
        }
        var (width, height) = Orientation.SwapsAxes(codec.EncodedOrigin)
            ? (stored.Height, stored.Width)
            : (stored.Width, stored.Height);
        return new ImageInfo(FormatName(codec.EncodedFormat)!, width, height);
    }

    private static string? FormatName(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "jpeg",
        SKEncodedImageFormat.Png => "png",
        SKEncodedImageFormat.Webp => "webp",
        SKEncodedImageFormat.Bmp => "bmp",
        SKEncodedImageFormat.Gif => "gif",
        _ => null,
    };
}
