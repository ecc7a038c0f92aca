using System.Globalization;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Concept;

namespace Sam3Serve.Engine.Tiling;

/// <summary>
/// Concept mode with tiles: the whole image as usual, then each tile as an image of its own (its features cached under
/// the image's key and the tile, so a repeat request with another concept runs no encoder); detections are mapped back
/// to the original pixels and merged by <see cref="TileMerger"/>.
/// </summary>
internal static class TiledConceptRunner
{
    /// <summary>The objects and how many passes of the image went through the model.</summary>
    public static (List<DetectedObject> Objects, int Passes) Run(
        ConceptRunner concept, SegmentationRequest request, RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        var tiles = TileLayout.Plan(request.Tiles, request.TileOverlap, image.Width, image.Height);
        var whole = concept.Run(request, image, imageKey, clock, cancellationToken);
        if (tiles.Count == 0)
        {
            return (whole, 1);
        }

        var detections = new List<PassDetection>();
        clock.Measure(StageClock.Postprocess, () =>
        {
            foreach (var o in whole)
            {
                detections.Add(new PassDetection(o.Score, o.Box, o.PromptIndex, CropMask.Place(o.Mask, 0, 0, image.Width, image.Height), null, false));
            }
        });
        var passes = 1;
        for (var t = 0; t < tiles.Count; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tile = tiles[t];
            var boxes = BoxesIn(request.Boxes, tile);
            if (request.TextPrompts.Count == 0 && !boxes.Any(b => b.Positive))
            {
                // A box-only request: the exemplars are pooled on the image searched, so a tile without one has no prompt.
                continue;
            }
            clock.BeginPass(string.Create(CultureInfo.InvariantCulture, $"tile {t + 1} of {tiles.Count}"));
            var pixels = clock.Measure(StageClock.Preprocess, () => TileLayout.Crop(image, tile));
            var key = string.Create(CultureInfo.InvariantCulture, $"{imageKey}|tile {tile.X},{tile.Y},{tile.Width}x{tile.Height}");
            var found = concept.Run(request with { Boxes = boxes }, pixels, key, clock, cancellationToken);
            passes++;
            clock.Measure(StageClock.Postprocess, () =>
            {
                foreach (var o in found)
                {
                    var mask = CropMask.Place(o.Mask, tile.X, tile.Y, image.Width, image.Height);
                    float[] box = [o.Box[0] + tile.X, o.Box[1] + tile.Y, o.Box[2] + tile.X, o.Box[3] + tile.Y];
                    detections.Add(new PassDetection(o.Score, box, o.PromptIndex, mask, tile,
                        TileMerger.TouchesInnerEdge(mask, tile, image.Width, image.Height)));
                }
            });
        }
        clock.BeginPass(null);
        var merged = clock.Measure(StageClock.Postprocess, () => TileMerger.Merge(detections));
        return (merged, passes);
    }

    /// <summary>The exemplar boxes whose centre lies in <paramref name="tile"/>, in its pixels and clipped to it.</summary>
    internal static List<BoxPrompt> BoxesIn(IReadOnlyList<BoxPrompt> boxes, TileRect tile)
    {
        var inside = new List<BoxPrompt>();
        foreach (var b in boxes)
        {
            var cx = (b.X1 + b.X2) / 2;
            var cy = (b.Y1 + b.Y2) / 2;
            if (cx < tile.X || cx >= tile.X + tile.Width || cy < tile.Y || cy >= tile.Y + tile.Height)
            {
                continue;
            }
            inside.Add(new BoxPrompt(
                Math.Max(0, b.X1 - tile.X), Math.Max(0, b.Y1 - tile.Y),
                Math.Min(tile.Width, b.X2 - tile.X), Math.Min(tile.Height, b.Y2 - tile.Y), b.Positive));
        }
        return inside;
    }
}
