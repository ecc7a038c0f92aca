using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Engine.Tiling;

/// <summary>
/// SAM 1's crop boxes for automatic mask generation: layer 0 is the whole image, layer i has 2^i × 2^i crops that
/// overlap by int(ratio · short side · 2 / 2^i) px, each ceil((overlap · (n − 1) + side) / n) long, clipped to the image;
/// within a layer the crops go column by column (x outer, y inner), as SAM 1 lists them.
/// </summary>
public static class CropLayers
{
    /// <summary>SAM 1's crop_overlap_ratio.</summary>
    public const double OverlapRatio = 512.0 / 1500.0;

    /// <summary>
    /// crop_n_layers for a request's tiles: the layers whose finest grid reaches the grid asked for, ceil(log2(max(R, C)))
    /// (2×2 → 1, 3×3 and 4×4 → 2, up to 8×8 → 3); "auto" takes the grid <see cref="TileLayout.GridFor"/> chooses.
    /// </summary>
    public static int LayersFor(TileGrid? grid, int width, int height)
    {
        var (rows, cols) = TileLayout.GridFor(grid, width, height);
        var side = Math.Max(rows, cols);
        var layers = 0;
        while ((1 << layers) < side)
        {
            layers++;
        }
        return layers;
    }

    /// <summary>The crop boxes of layers 0 to <paramref name="layers"/>, each with its layer; Row/Col are its place in its layer's grid.</summary>
    public static IReadOnlyList<(TileRect Crop, int Layer)> Boxes(int layers, int width, int height)
    {
        var boxes = new List<(TileRect, int)> { (new TileRect(0, 0, 0, 0, width, height), 0) };
        var shortSide = Math.Min(width, height);
        for (var layer = 1; layer <= layers; layer++)
        {
            var n = 1 << layer;
            var overlap = (int)(OverlapRatio * shortSide * (2.0 / n));
            var cropW = (int)Math.Ceiling((overlap * (n - 1) + width) / (double)n);
            var cropH = (int)Math.Ceiling((overlap * (n - 1) + height) / (double)n);
            for (var i = 0; i < n; i++)
            {
                var x0 = (cropW - overlap) * i;
                for (var j = 0; j < n; j++)
                {
                    var y0 = (cropH - overlap) * j;
                    boxes.Add((new TileRect(j, i, x0, y0, Math.Min(x0 + cropW, width) - x0, Math.Min(y0 + cropH, height) - y0), layer));
                }
            }
        }
        return boxes;
    }

    /// <summary>
    /// SAM 1's near-crop-edge test: a side of <paramref name="box"/> (xyxy, original pixels) within 20 px of the crop's
    /// side but not within 20 px of the image's.
    /// </summary>
    public static bool NearCropEdge(ReadOnlySpan<float> box, TileRect crop, int width, int height)
    {
        const float atol = 20f;
        ReadOnlySpan<float> cropBox = [crop.X, crop.Y, crop.X + crop.Width, crop.Y + crop.Height];
        ReadOnlySpan<float> imageBox = [0, 0, width, height];
        for (var i = 0; i < 4; i++)
        {
            if (Math.Abs(box[i] - cropBox[i]) <= atol && Math.Abs(box[i] - imageBox[i]) > atol)
            {
                return true;
            }
        }
        return false;
    }
}
