using Sam3Serve.Contracts.Inference;
using SkiaSharp;

namespace Sam3Serve.Engine.Tests.Support;

/// <summary>Decodes test photos to RGB.</summary>
public static class TestImages
{
    public static RgbImage Load(string path)
    {
        using var bitmap = SKBitmap.Decode(path) ?? throw new InvalidDataException($"cannot decode {path}");
        using var rgba = bitmap.Copy(SKColorType.Rgba8888);
        var source = rgba.GetPixelSpan();
        var rgb = new byte[rgba.Width * rgba.Height * 3];
        for (var i = 0; i < rgba.Width * rgba.Height; i++)
        {
            rgb[i * 3] = source[i * 4];
            rgb[(i * 3) + 1] = source[(i * 4) + 1];
            rgb[(i * 3) + 2] = source[(i * 4) + 2];
        }
        return new RgbImage(rgba.Width, rgba.Height, rgb);
    }
}
