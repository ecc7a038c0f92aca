using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Engine.Tiling;

/// <summary>One tile of an image: its place in the grid and its pixels (x, y, width, height) in the original image.</summary>
public readonly record struct TileRect(int Row, int Col, int X, int Y, int Width, int Height)
{
    /// <summary>Where the tile sits in the grid.</summary>
    public TilePosition Position => new(Row, Col);
}

/// <summary>
/// Where the tiles of a request fall on its image. <c>"auto"</c> tiles only an image whose long side exceeds
/// <see cref="AutoLongSide"/>, with the fewest tiles of at most <see cref="AutoTileSide"/> px a side (6000×4000 → 3 rows ×
/// 4 cols), within the request's tile cap. Neighbours share <c>overlap</c> of a tile: a grid of C columns of width w
/// covers the width W when C·w − (C − 1)·overlap·w = W; the last tile is aligned on the far edge.
/// </summary>
public static class TileLayout
{
    /// <summary>An image whose long side is at most this is not tiled by <c>"auto"</c>.</summary>
    public const int AutoLongSide = 2016;

    /// <summary>The largest tile side <c>"auto"</c> aims for (before overlap).</summary>
    public const int AutoTileSide = 1512;

    /// <summary>Rows and columns of <paramref name="grid"/> on a <paramref name="width"/>×<paramref name="height"/> image (1×1 = no tiles).</summary>
    public static (int Rows, int Cols) GridFor(TileGrid? grid, int width, int height)
    {
        if (grid is null)
        {
            return (1, 1);
        }
        if (!grid.Auto)
        {
            return (grid.Rows, grid.Cols);
        }
        if (Math.Max(width, height) <= AutoLongSide)
        {
            return (1, 1);
        }
        var cap = Math.Max(1, grid.MaxTiles);
        // Grow the tile side until the grid fits the cap: the fewest tiles of at most that side.
        for (double side = AutoTileSide; ; side *= 1.05)
        {
            var rows = (int)Math.Ceiling(height / side);
            var cols = (int)Math.Ceiling(width / side);
            if (rows * cols <= cap)
            {
                return (rows, cols);
            }
        }
    }

    /// <summary>
    /// The tiles of <paramref name="grid"/>, row by row; empty when the grid is 1×1 (its only tile would be the whole
    /// image, which is run anyway).
    /// </summary>
    public static IReadOnlyList<TileRect> Plan(TileGrid? grid, float overlap, int width, int height)
    {
        var (rows, cols) = GridFor(grid, width, height);
        if (rows * cols <= 1)
        {
            return [];
        }
        var xs = Axis(cols, overlap, width);
        var ys = Axis(rows, overlap, height);
        var tiles = new List<TileRect>(rows * cols);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                tiles.Add(new TileRect(r, c, xs[c].Start, ys[r].Start, xs[c].Length, ys[r].Length));
            }
        }
        return tiles;
    }

    private static (int Start, int Length)[] Axis(int count, float overlap, int size)
    {
        var length = count == 1 ? size : (int)Math.Ceiling(size / (count - (count - 1) * (double)overlap));
        length = Math.Clamp(length, 1, size);
        var step = count == 1 ? 0 : (size - length) / (double)(count - 1);
        var axis = new (int, int)[count];
        for (var i = 0; i < count; i++)
        {
            var start = i == count - 1 ? size - length : (int)Math.Round(i * step);
            axis[i] = (Math.Clamp(start, 0, size - length), length);
        }
        return axis;
    }

    /// <summary>A copy of <paramref name="tile"/>'s pixels of <paramref name="image"/>.</summary>
    public static RgbImage Crop(RgbImage image, TileRect tile)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = new byte[tile.Width * tile.Height * 3];
        var rowBytes = tile.Width * 3;
        for (var y = 0; y < tile.Height; y++)
        {
            image.Pixels.AsSpan(((tile.Y + y) * image.Width + tile.X) * 3, rowBytes).CopyTo(pixels.AsSpan(y * rowBytes, rowBytes));
        }
        return new RgbImage(tile.Width, tile.Height, pixels);
    }
}
