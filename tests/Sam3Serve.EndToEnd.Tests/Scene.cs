using Sam3Serve.Imaging.Rendering;
using SkiaSharp;
using Xunit;

namespace Sam3Serve.EndToEnd.Tests;

/// <summary>A synthetic photo: grey background with pure red, green and blue rectangles at known pixels.</summary>
public sealed class Scene
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required SKRectI Red { get; init; }
    public required SKRectI Green { get; init; }
    public required SKRectI Blue { get; init; }

    public static Scene Landscape() => new()
    {
        Width = 640, Height = 360,
        Red = new SKRectI(40, 60, 200, 300), Green = new SKRectI(260, 40, 420, 160), Blue = new SKRectI(460, 200, 600, 330),
    };

    public static Scene Portrait() => new()
    {
        Width = 300, Height = 520,
        Red = new SKRectI(20, 30, 140, 200), Green = new SKRectI(160, 260, 280, 380), Blue = new SKRectI(40, 400, 260, 500),
    };

    public SKRectI this[string colour] => colour switch { "red" => Red, "green" => Green, _ => Blue };

    public SKBitmap Draw()
    {
        var bitmap = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(new SKColor(128, 128, 128));
        Fill(canvas, Red, SKColors.Red);
        Fill(canvas, Green, new SKColor(0, 255, 0));
        Fill(canvas, Blue, SKColors.Blue);
        return bitmap;
    }

    public byte[] Png()
    {
        using var bitmap = Draw();
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static void Fill(SKCanvas canvas, SKRectI rect, SKColor colour)
    {
        using var paint = new SKPaint { Color = colour };
        canvas.DrawRect(rect, paint);
    }

    /// <summary>IoU of a decoded RLE mask and a rectangle.</summary>
    public static double IoU(byte[] mask, int width, SKRectI rect)
    {
        long inter = 0, area = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            area++;
            int x = i % width, y = i / width;
            if (rect.Contains(x, y)) inter++;
        }
        var union = area + (long)rect.Width * rect.Height - inter;
        return union == 0 ? 0 : (double)inter / union;
    }

    public static void AssertIoU(byte[] mask, int width, SKRectI rect, double atLeast)
    {
        var iou = IoU(mask, width, rect);
        Assert.True(iou > atLeast, $"IoU {iou:F3} with {rect} is not above {atLeast} (mask area {mask.Count(b => b == 1)}, rect area {rect.Width * rect.Height})");
    }

    public static byte[] Decode(System.Text.Json.Nodes.JsonNode mask, int width, int height) =>
        CocoRle.Decode(mask["counts"]!.GetValue<string>(), width, height);

    /// <summary>The box covers the rectangle to within <paramref name="tolerance"/> pixels on every side.</summary>
    public static void AssertBox(System.Text.Json.Nodes.JsonNode box, SKRectI rect, double tolerance)
    {
        var b = box.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.InRange(b[0], rect.Left - tolerance, rect.Left + tolerance);
        Assert.InRange(b[1], rect.Top - tolerance, rect.Top + tolerance);
        Assert.InRange(b[2], rect.Right - tolerance, rect.Right + tolerance);
        Assert.InRange(b[3], rect.Bottom - tolerance, rect.Bottom + tolerance);
    }
}
