using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Engine.Tiling;

/// <summary>One detection of one pass, mapped onto the original image.</summary>
/// <param name="Score">Detection score.</param>
/// <param name="Box">x1, y1, x2, y2 in pixels of the original image.</param>
/// <param name="PromptIndex">Which prompt found it.</param>
/// <param name="Mask">Its mask on the original image.</param>
/// <param name="Tile">The tile whose pass found it, or null for the whole-image pass.</param>
/// <param name="CutByTileEdge">True when it touches an edge of its tile that lies inside the image.</param>
internal sealed record PassDetection(float Score, float[] Box, int PromptIndex, CropMask Mask, TileRect? Tile, bool CutByTileEdge);

/// <summary>
/// Merges the detections of the whole-image pass and the tile passes: a detection cut by an edge of its tile
/// (an edge inside the image) that overlaps a detection of another pass of the same prompt is joined with it (mask
/// union, highest score, that detection's pass); then, highest score first, a detection whose mask IoU with one
/// already kept exceeds <see cref="DuplicateIoU"/> is a duplicate and dropped.
/// </summary>
internal static class TileMerger
{
    /// <summary>Mask IoU above which two detections of the same prompt are one object.</summary>
    public const double DuplicateIoU = 0.5;

    /// <summary>How close (pixels) to a tile edge a mask must reach to count as cut by it.</summary>
    public const int EdgeMargin = 2;

    /// <summary>Whether <paramref name="mask"/> (already placed on the image) reaches an inner edge of <paramref name="tile"/>.</summary>
    public static bool TouchesInnerEdge(CropMask mask, TileRect tile, int imageWidth, int imageHeight)
    {
        if (mask.IsEmpty)
        {
            return false;
        }
        var left = tile.X > 0 && mask.X <= tile.X + EdgeMargin;
        var top = tile.Y > 0 && mask.Y <= tile.Y + EdgeMargin;
        var right = tile.X + tile.Width < imageWidth && mask.X + mask.BoundsWidth >= tile.X + tile.Width - EdgeMargin;
        var bottom = tile.Y + tile.Height < imageHeight && mask.Y + mask.BoundsHeight >= tile.Y + tile.Height - EdgeMargin;
        return left || top || right || bottom;
    }

    /// <summary>The merged objects, prompt by prompt, highest score first.</summary>
    public static List<DetectedObject> Merge(IReadOnlyList<PassDetection> detections)
    {
        var parent = Enumerable.Range(0, detections.Count).ToArray();
        int Find(int i)
        {
            while (parent[i] != i)
            {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            return i;
        }

        for (var i = 0; i < detections.Count; i++)
        {
            var cut = detections[i];
            if (!cut.CutByTileEdge)
            {
                continue;
            }
            for (var j = 0; j < detections.Count; j++)
            {
                var other = detections[j];
                if (i == j || other.PromptIndex != cut.PromptIndex || other.Tile == cut.Tile || Find(i) == Find(j))
                {
                    continue;
                }
                if (CropMask.Intersection(cut.Mask, other.Mask) > 0)
                {
                    parent[Find(i)] = Find(j);
                }
            }
        }

        var groups = Enumerable.Range(0, detections.Count).GroupBy(Find);
        var merged = new List<PassDetection>();
        foreach (var group in groups)
        {
            var members = group.Select(i => detections[i]).ToList();
            if (members.Count == 1)
            {
                merged.Add(members[0]);
                continue;
            }
            var best = members.MaxBy(m => m.Score)!;
            float[] box =
            [
                members.Min(m => m.Box[0]), members.Min(m => m.Box[1]),
                members.Max(m => m.Box[2]), members.Max(m => m.Box[3]),
            ];
            merged.Add(best with { Box = box, Mask = CropMask.Union([.. members.Select(m => m.Mask)]), CutByTileEdge = false });
        }

        var kept = new List<PassDetection>();
        foreach (var candidate in merged.OrderBy(d => d.PromptIndex).ThenByDescending(d => d.Score).ThenBy(d => d.Tile is null ? 0 : 1))
        {
            if (kept.Any(k => k.PromptIndex == candidate.PromptIndex && CropMask.IoU(k.Mask, candidate.Mask) > DuplicateIoU))
            {
                continue;
            }
            kept.Add(candidate);
        }
        return
        [
            .. kept.Select(d => new DetectedObject
            {
                Score = d.Score,
                Box = d.Box,
                PromptIndex = d.PromptIndex,
                Mask = d.Mask,
                Tile = d.Tile?.Position,
            }),
        ];
    }
}
