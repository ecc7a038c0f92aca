using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.MemoryProbe;

/// <summary>
/// Test images the fixture bundle can segment: a grid of pure red, green and blue rectangles on mid grey.
/// The fixture selects every pixel of the prompted colour, so same-coloured rectangles form one mask.
/// </summary>
internal static class ProbeImages
{
    private const byte Grey = 128;
    private static readonly byte[][] Colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];

    /// <summary>
    /// A <paramref name="width"/>×<paramref name="height"/> image of <paramref name="cells"/>² rectangles (colour
    /// (row + column) mod 3), each inset by <paramref name="margin"/> pixels in its cell. <paramref name="variant"/>
    /// is written into the first grey pixels so every variant has different pixels (and a different cache key).
    /// </summary>
    public static RgbImage Grid(int width, int height, int cells, int margin, int variant)
    {
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, Grey);
        foreach (var (box, colour) in Rectangles(width, height, cells, margin))
        {
            var rgb = Colours[colour];
            for (var y = (int)box.Y1; y < (int)box.Y2; y++)
            {
                for (var x = (int)box.X1; x < (int)box.X2; x++)
                {
                    var i = ((y * width) + x) * 3;
                    pixels[i] = rgb[0];
                    pixels[i + 1] = rgb[1];
                    pixels[i + 2] = rgb[2];
                }
            }
        }
        pixels[0] = (byte)(variant & 0xFF);
        pixels[1] = (byte)((variant >> 8) & 0xFF);
        pixels[2] = (byte)((variant >> 16) & 0xFF);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>The rectangles of <see cref="Grid"/> as boxes with their colour index (0 red, 1 green, 2 blue).</summary>
    public static IEnumerable<(BoxPrompt Box, int Colour)> Rectangles(int width, int height, int cells, int margin)
    {
        for (var r = 0; r < cells; r++)
        {
            for (var c = 0; c < cells; c++)
            {
                var x1 = (c * width / cells) + margin;
                var x2 = ((c + 1) * width / cells) - margin;
                var y1 = (r * height / cells) + margin;
                var y2 = ((r + 1) * height / cells) - margin;
                yield return (new BoxPrompt(x1, y1, x2, y2), (r + c) % 3);
            }
        }
    }
}
