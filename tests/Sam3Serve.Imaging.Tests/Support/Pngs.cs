using SkiaSharp;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Support;

/// <summary>Reads the renderers' PNGs back for assertions.</summary>
public static class Pngs
{
    /// <summary>Decodes a greyscale PNG; fails when the file is not single-channel.</summary>
    public static byte[] DecodeGray(byte[] png, out int width, out int height)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(png)) ?? throw new InvalidDataException("not an image");
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        Assert.Equal(SKColorType.Gray8, codec.Info.ColorType);
        width = codec.Info.Width;
        height = codec.Info.Height;
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        var pixels = new byte[width * height];
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, pixels));
        return pixels;
    }

    /// <summary>Decodes a colour PNG to packed RGB.</summary>
    public static byte[] DecodeRgb(byte[] png, out int width, out int height)
    {
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidDataException("not an image");
        width = bitmap.Width;
        height = bitmap.Height;
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                var o = ((y * width) + x) * 3;
                (rgb[o], rgb[o + 1], rgb[o + 2]) = (c.Red, c.Green, c.Blue);
            }
        }
        return rgb;
    }
}
