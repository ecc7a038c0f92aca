using SkiaSharp;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>A grey picture with one pure red, green and blue rectangle each, at known pixels.</summary>
public sealed class Scene
{
    public const int Width = 640;
    public const int Height = 360;

    public static readonly SKRectI Red = new(40, 60, 200, 300);
    public static readonly SKRectI Green = new(260, 40, 420, 160);
    public static readonly SKRectI Blue = new(460, 200, 600, 330);

    /// <summary>The fixture decides on a 126² grid: boxes may be off by about one cell plus antialiasing.</summary>
    public static readonly double BoxTolerance = 2.5 * Width / 126.0 + 2;

    public static SKRectI Of(string colour) => colour switch { "red" => Red, "green" => Green, "blue" => Blue, _ => throw new ArgumentException(colour) };

    public static byte[] Png()
    {
        using var bitmap = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(128, 128, 128));
            foreach (var (rect, colour) in new[] { (Red, new SKColor(255, 0, 0)), (Green, new SKColor(0, 255, 0)), (Blue, new SKColor(0, 0, 255)) })
            {
                using var paint = new SKPaint { Color = colour };
                canvas.DrawRect(rect, paint);
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>IoU of a row-major 0/1 mask of the scene's size with a rectangle.</summary>
    public static double IoU(byte[] mask, SKRectI rect)
    {
        Assert.Equal(Width * Height, mask.Length);
        long inter = 0, area = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0)
            {
                continue;
            }
            area++;
            if (rect.Contains(i % Width, i / Width))
            {
                inter++;
            }
        }
        var union = area + (long)rect.Width * rect.Height - inter;
        return union == 0 ? 0 : (double)inter / union;
    }

    public static void AssertOn(byte[] mask, SKRectI rect, double atLeast = 0.85)
    {
        var iou = IoU(mask, rect);
        Assert.True(iou > atLeast, $"IoU {iou:F3} with {rect} is not above {atLeast} (mask area {mask.Count(b => b != 0)})");
    }

    public static void AssertBox(Sam3Box box, SKRectI rect)
    {
        Assert.InRange(box.X1, rect.Left - BoxTolerance, rect.Left + BoxTolerance);
        Assert.InRange(box.Y1, rect.Top - BoxTolerance, rect.Top + BoxTolerance);
        Assert.InRange(box.X2, rect.Right - BoxTolerance, rect.Right + BoxTolerance);
        Assert.InRange(box.Y2, rect.Bottom - BoxTolerance, rect.Bottom + BoxTolerance);
    }

    /// <summary>A decoded PNG's first channel, row-major (a grey PNG's values as written).</summary>
    public static (int Width, int Height, byte[] Values) Gray(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidDataException("not a decodable image");
        var values = new byte[bitmap.Width * bitmap.Height];
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                values[y * bitmap.Width + x] = bitmap.GetPixel(x, y).Red;
            }
        }
        return (bitmap.Width, bitmap.Height, values);
    }

    /// <summary>1 where <paramref name="values"/> equals <paramref name="value"/>, else 0.</summary>
    public static byte[] Where(byte[] values, byte value) => [.. values.Select(v => v == value ? (byte)1 : (byte)0)];
}
