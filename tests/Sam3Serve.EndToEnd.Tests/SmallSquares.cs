using SkiaSharp;

namespace Sam3Serve.EndToEnd.Tests;

/// <summary>
/// A large photo, a grey just lighter than mid-grey, with many tiny pure-red squares (and one blue decoy): the
/// fixture's colour rule sees red only where it pulls a low-resolution cell's green and blue below mid-grey, so on the
/// whole image stretched to the encoder's input (cells of 48×32 px) the squares vanish, and tiles (cells of about
/// 14×12 px with 3×4 tiles) bring them back. On a lighter grey a 5 px square no longer dominates even a tile's cell.
/// </summary>
public sealed class SmallSquares
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required byte Grey { get; init; }
    public required IReadOnlyList<SKRectI> Red { get; init; }
    public required SKRectI Blue { get; init; }

    /// <summary><paramref name="count"/> red squares of 5–7 px on a jittered grid (seeded), none closer than 100 px to another.</summary>
    public static SmallSquares Create(int width = 6000, int height = 4000, int count = 40, byte grey = 136, int seed = 16)
    {
        var random = new Random(seed);
        var cols = (int)Math.Ceiling(Math.Sqrt(count * (double)width / height));
        var rows = (int)Math.Ceiling(count / (double)cols);
        var cellW = width / cols;
        var cellH = height / rows;
        var red = new List<SKRectI>(count);
        for (var i = 0; i < count; i++)
        {
            int r = i / cols, c = i % cols;
            var side = random.Next(5, 8);
            var x = c * cellW + 50 + random.Next(cellW - 100 - side);
            var y = r * cellH + 50 + random.Next(cellH - 100 - side);
            red.Add(new SKRectI(x, y, x + side, y + side));
        }
        // The decoy sits on a corner of the grid, at least 47 px from every red square (each keeps 50 px from its cell's edges).
        var bx = cols / 2 * cellW - 3;
        var by = rows / 2 * cellH - 3;
        return new SmallSquares { Width = width, Height = height, Grey = grey, Red = red, Blue = new SKRectI(bx, by, bx + 6, by + 6) };
    }

    public byte[] Png()
    {
        using var bitmap = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(Grey, Grey, Grey));
            using var red = new SKPaint { Color = SKColors.Red };
            foreach (var square in Red)
            {
                canvas.DrawRect(square, red);
            }
            using var blue = new SKPaint { Color = SKColors.Blue };
            canvas.DrawRect(Blue, blue);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>How many masks cover at least one pixel of each red square.</summary>
    public int[] CoverCounts(IReadOnlyList<byte[]> masks) =>
        [.. Red.Select(square => masks.Count(mask => Covers(mask, square)))];

    /// <summary>True when <paramref name="mask"/> has a pixel inside <paramref name="square"/>.</summary>
    public bool Covers(byte[] mask, SKRectI square)
    {
        for (var y = square.Top; y < square.Bottom; y++)
        {
            for (var x = square.Left; x < square.Right; x++)
            {
                if (mask[y * Width + x] != 0)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
