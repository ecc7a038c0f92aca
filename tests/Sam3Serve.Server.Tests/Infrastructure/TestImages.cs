using SkiaSharp;

namespace Sam3Serve.Server.Tests.Infrastructure;

/// <summary>Small images made in code for request bodies.</summary>
public static class TestImages
{
    /// <summary>A PNG of the given size, grey with a red square at the top left.</summary>
    public static byte[] Png(int width = 64, int height = 48)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(128, 128, 128));
            using var paint = new SKPaint { Color = new SKColor(255, 0, 0) };
            canvas.DrawRect(0, 0, Math.Min(16, width), Math.Min(16, height), paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A JPEG of the given size.</summary>
    public static byte[] Jpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                [SKColors.Blue, SKColors.Yellow], SKShaderTileMode.Clamp);
            using var paint = new SKPaint { Shader = shader };
            canvas.DrawRect(0, 0, width, height, paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    public static string Base64Png(int width = 64, int height = 48) => Convert.ToBase64String(Png(width, height));
}
