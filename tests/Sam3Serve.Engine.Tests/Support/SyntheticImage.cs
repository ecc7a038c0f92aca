using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Engine.Tests.Support;

/// <summary>A pixel rectangle [X0, X1) × [Y0, Y1).</summary>
public readonly record struct PixelRect(int X0, int Y0, int X1, int Y1)
{
    public bool Contains(int x, int y) => x >= X0 && x < X1 && y >= Y0 && y < Y1;

    /// <summary>Inclusive pixel box x1, y1, x2, y2 (SAM's mask→box convention).</summary>
    public float[] InclusiveBox => [X0, Y0, X1 - 1, Y1 - 1];

    public float CentreX => (X0 + X1) / 2f;

    public float CentreY => (Y0 + Y1) / 2f;
}

/// <summary>Builds images of pure-colour rectangles on a plain background.</summary>
public static class SyntheticImage
{
    public static readonly byte[] Red = [255, 0, 0];
    public static readonly byte[] Green = [0, 255, 0];
    public static readonly byte[] Blue = [0, 0, 255];
    public static readonly byte[] White = [255, 255, 255];

    public static RgbImage Create(int width, int height, byte[] background, params (PixelRect Rect, byte[] Colour)[] shapes)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var colour = background;
                foreach (var (rect, c) in shapes)
                {
                    if (rect.Contains(x, y))
                    {
                        colour = c;
                    }
                }
                colour.CopyTo(pixels.AsSpan(((y * width) + x) * 3, 3));
            }
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Landscape 300×200: red, green and blue rectangles on white.</summary>
    public static (RgbImage Image, PixelRect Red, PixelRect Green, PixelRect Blue) Landscape()
    {
        var red = new PixelRect(20, 30, 110, 120);
        var green = new PixelRect(150, 40, 280, 90);
        var blue = new PixelRect(160, 130, 230, 185);
        return (Create(300, 200, White, (red, Red), (green, Green), (blue, Blue)), red, green, blue);
    }

    /// <summary>Portrait 180×320: the same colours stacked vertically on white.</summary>
    public static (RgbImage Image, PixelRect Red, PixelRect Green, PixelRect Blue) Portrait()
    {
        var red = new PixelRect(30, 20, 150, 100);
        var green = new PixelRect(10, 140, 90, 290);
        var blue = new PixelRect(110, 150, 170, 230);
        return (Create(180, 320, White, (red, Red), (green, Green), (blue, Blue)), red, green, blue);
    }
}
