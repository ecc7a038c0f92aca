using Sam3Serve.Imaging.Rendering;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Rendering;

public sealed class OverlayPainterTests
{
    private static readonly (byte R, byte G, byte B) Colour = (250, 20, 90);

    [Theory]
    [InlineData(1, 1, 0.5, 1)]
    [InlineData(7, 5, 0.5, 2)]
    [InlineData(40, 30, 0.1, 3)]
    [InlineData(40, 30, 0.5, 4)]
    [InlineData(40, 30, 0.9, 5)]
    [InlineData(33, 1, 0.5, 6)]
    [InlineData(1, 33, 0.5, 7)]
    public void Paint_RandomMask_MatchesPixelByPixelDefinition(int width, int height, double density, int seed)
    {
        var random = new Random(seed);
        var mask = new byte[width * height];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = random.NextDouble() < density ? (byte)1 : (byte)0;
        }
        var image = new byte[width * height * 4];
        random.NextBytes(image);
        var expected = (byte[])image.Clone();
        PaintByDefinition(expected, mask, width, height);

        OverlayPainter.Paint(image, mask, width, height, Colour);

        Assert.Equal(expected, image);
    }

    [Fact]
    public void ColourFor_FirstTwentyObjects_AreDistinct()
    {
        var colours = Enumerable.Range(0, 20).Select(OverlayPainter.ColourFor).ToList();

        Assert.Equal(20, colours.Distinct().Count());
    }

    // The documented rule, one pixel at a time: inside pixels with an outside 8-neighbour and outside pixels
    // with an inside 4-neighbour are solid, other inside pixels are half-blended, and the image border is not outside.
    private static void PaintByDefinition(byte[] rgba, byte[] mask, int width, int height)
    {
        bool? At(int x, int y) => x < 0 || y < 0 || x >= width || y >= height ? null : mask[(y * width) + x] != 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var o = ((y * width) + x) * 4;
                bool solid;
                if (At(x, y) == true)
                {
                    solid = false;
                    for (var dy = -1; dy <= 1; dy++)
                    {
                        for (var dx = -1; dx <= 1; dx++)
                        {
                            solid |= At(x + dx, y + dy) == false;
                        }
                    }
                    if (!solid)
                    {
                        rgba[o] = (byte)((rgba[o] + Colour.R + 1) >> 1);
                        rgba[o + 1] = (byte)((rgba[o + 1] + Colour.G + 1) >> 1);
                        rgba[o + 2] = (byte)((rgba[o + 2] + Colour.B + 1) >> 1);
                        continue;
                    }
                }
                else
                {
                    solid = At(x - 1, y) == true || At(x + 1, y) == true || At(x, y - 1) == true || At(x, y + 1) == true;
                }
                if (solid)
                {
                    (rgba[o], rgba[o + 1], rgba[o + 2]) = Colour;
                }
            }
        }
    }
}
