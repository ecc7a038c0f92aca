using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Imaging.Tests.Support;

/// <summary>A lazily produced mask given by a predicate on pixel coordinates, optionally logging row requests.</summary>
public sealed class PredicateMask(int width, int height, Func<int, int, bool> inside, List<(int Mask, int Row)>? log = null, int id = 0)
    : IObjectMask
{
    public int Width => width;

    public int Height => height;

    public bool Contains(int x, int y) => inside(x, y);

    public void FillRow(int y, Span<byte> row)
    {
        log?.Add((id, y));
        for (var x = 0; x < width; x++)
        {
            row[x] = inside(x, y) ? (byte)1 : (byte)0;
        }
    }

    public static PredicateMask Rectangle(int width, int height, int x0, int y0, int x1, int y1) =>
        new(width, height, (x, y) => x >= x0 && x < x1 && y >= y0 && y < y1);

    /// <summary>An L: a vertical bar and a horizontal foot sharing the bottom-left corner.</summary>
    public static PredicateMask LShape(int width, int height, int x0, int y0, int x1, int y1, int thickness) =>
        new(width, height, (x, y) => x >= x0 && x < x1 && y >= y0 && y < y1 && (x < x0 + thickness || y >= y1 - thickness));

    /// <summary>A rectangle with a rectangular hole.</summary>
    public static PredicateMask Ring(int width, int height, int x0, int y0, int x1, int y1, int thickness) =>
        new(width, height, (x, y) => x >= x0 && x < x1 && y >= y0 && y < y1
            && (x < x0 + thickness || x >= x1 - thickness || y < y0 + thickness || y >= y1 - thickness));
}
