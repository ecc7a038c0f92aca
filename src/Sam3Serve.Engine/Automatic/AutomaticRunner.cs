using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Interactive;
using Sam3Serve.Engine.Postprocessing;
using Sam3Serve.Engine.Tiling;

namespace Sam3Serve.Engine.Automatic;

/// <summary>
/// Automatic mask generation (SAM 1's algorithm; crop layers only when the request asks for tiles): a
/// points_per_side² grid, up to 64 points per
/// decoder run in the object dimension (one per run when the file fixes that dimension), every candidate with
/// predicted IoU above pred_iou_thresh and stability ≥ 0.95 kept, then box NMS at 0.7 by predicted IoU.
/// Deviations from SAM 1, for speed: stability is computed on the low-resolution logits, and NMS runs on boxes
/// taken from the low-resolution cells (exact pixel boxes are computed for the survivors only).
/// </summary>
internal sealed class AutomaticRunner
{
    public const float StabilityThreshold = 0.95f;
    public const float StabilityOffset = 1f;
    public const float BoxNmsThreshold = 0.7f;
    /// <summary>SAM 1's crop_nms_thresh: box NMS across crops.</summary>
    public const float CropNmsThreshold = 0.7f;
    // Candidates held before an intermediate NMS bounds memory (each holds one low-resolution logit map).
    private const int PruneAbove = 512;

    private readonly IImageFeatureSource _encoder;
    private readonly TrackerDecoder _decoder;

    private readonly int _objectBatch;

    public AutomaticRunner(IImageFeatureSource encoder, TrackerDecoder decoder, int objectBatch)
    {
        _encoder = encoder;
        _decoder = decoder;
        _objectBatch = objectBatch;
    }

    /// <summary>The image features this path decodes from.</summary>
    public IImageFeatureSource ImageFeatures => _encoder;

    public List<DetectedObject> Run(SegmentationRequest request, RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        var candidates = RunCrop(request, image, imageKey, clock, cancellationToken);
        return clock.Measure(StageClock.Postprocess, () =>
        {
            var kept = Suppress(candidates);
            if (request.MaxMasks > 0 && kept.Count > request.MaxMasks)
            {
                kept = kept.Take(request.MaxMasks).ToList();
            }
            return kept.Select(c => new DetectedObject { Score = c.Iou, Box = c.Mask.ComputeBox(), Mask = c.Mask }).ToList();
        });
    }

    /// <summary>
    /// With <c>tiles</c>: SAM 1's crop layers (<see cref="CropLayers"/>). Each crop is an image of its own (features
    /// cached under the image's key and the crop) with the same point grid; per crop, box NMS by predicted IoU, then
    /// masks whose box reaches an edge of the crop inside the image are dropped; across crops, box NMS preferring the
    /// smaller crop (score 1 / crop area) at SAM 1's crop_nms_thresh 0.7. Returns the objects, highest predicted IoU
    /// first, and the passes of the image through the model.
    /// </summary>
    public (List<DetectedObject> Objects, int Passes) RunWithCrops(SegmentationRequest request, RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        var layers = CropLayers.LayersFor(request.Tiles, image.Width, image.Height);
        if (layers == 0)
        {
            return (Run(request, image, imageKey, clock, cancellationToken), 1);
        }
        var crops = CropLayers.Boxes(layers, image.Width, image.Height);
        var kept = new List<(LogitMask Mask, float Iou, float[] Box, TileRect Crop)>();
        for (var c = 0; c < crops.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (crop, layer) = crops[c];
            RgbImage pixels;
            var key = imageKey;
            if (layer == 0)
            {
                pixels = image;
            }
            else
            {
                clock.BeginPass(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"tile {c} of {crops.Count - 1}"));
                pixels = clock.Measure(StageClock.Preprocess, () => TileLayout.Crop(image, crop));
                key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{imageKey}|crop {crop.X},{crop.Y},{crop.Width}x{crop.Height}");
            }
            var candidates = RunCrop(request, pixels, key, clock, cancellationToken);
            clock.Measure(StageClock.Postprocess, () =>
            {
                foreach (var candidate in Suppress(candidates))
                {
                    var local = candidate.Mask.ComputeBox();
                    float[] box = [local[0] + crop.X, local[1] + crop.Y, local[2] + crop.X, local[3] + crop.Y];
                    if (!CropLayers.NearCropEdge(box, crop, image.Width, image.Height))
                    {
                        kept.Add((candidate.Mask, candidate.Iou, box, crop));
                    }
                }
            });
        }
        clock.BeginPass(null);
        return (clock.Measure(StageClock.Postprocess, () =>
        {
            var order = BoxNms.Apply(kept.Select(k => k.Box).ToList(), kept.Select(k => 1f / ((float)k.Crop.Width * k.Crop.Height)).ToList(), CropNmsThreshold);
            var survivors = order.Select(i => kept[i]).OrderByDescending(k => k.Iou).ToList();
            if (request.MaxMasks > 0 && survivors.Count > request.MaxMasks)
            {
                survivors = survivors.Take(request.MaxMasks).ToList();
            }
            return survivors.Select(k => new DetectedObject
            {
                Score = k.Iou,
                Box = k.Box,
                Mask = k.Crop.X == 0 && k.Crop.Y == 0 && k.Crop.Width == image.Width && k.Crop.Height == image.Height
                    ? k.Mask
                    : new OffsetMask(k.Mask, k.Crop.X, k.Crop.Y, image.Width, image.Height),
            }).ToList();
        }), crops.Count);
    }

    /// <summary>Every candidate of the point grid on <paramref name="image"/> that passes the IoU and stability filters.</summary>
    private List<Candidate> RunCrop(SegmentationRequest request, RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        var grid = AutomaticGrid.Points(request.PointsPerSide);
        var batchSize = Math.Min(_objectBatch, _decoder.MaxObjects);
        var candidates = new List<Candidate>();
        ResizePlan? plan = null;
        var features = _encoder.Encode(image, imageKey, clock, cancellationToken);
        try
        {
            for (var start = 0; start < grid.Length; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(batchSize, grid.Length - start);
                using var output = _decoder.Run(features, GridPrompt(grid.AsSpan(start, count)), clock, cancellationToken);
                var begin = System.Diagnostics.Stopwatch.GetTimestamp();
                plan ??= new ResizePlan(output.MaskWidth, output.MaskHeight, image.Width, image.Height);
                Collect(output, request.PredIouThresh, plan, candidates);
                if (candidates.Count > PruneAbove)
                {
                    candidates = Suppress(candidates);
                }
                clock.Add(StageClock.Postprocess, System.Diagnostics.Stopwatch.GetElapsedTime(begin).TotalSeconds);
            }
        }
        finally
        {
            features.Release();
        }
        return candidates;
    }

    /// <summary>
    /// The decoder prompt for a run of grid points: one object per point, each in the same form as a single interactive
    /// point (the point and the reference's "not a point" token), batched in the object dimension.
    /// </summary>
    internal TrackerPrompt GridPrompt(ReadOnlySpan<(float X, float Y)> gridPoints)
    {
        var points = new float[gridPoints.Length * 2];
        var labels = new long[gridPoints.Length];
        for (var i = 0; i < gridPoints.Length; i++)
        {
            points[2 * i] = gridPoints[i].X * _encoder.InputWidth;
            points[(2 * i) + 1] = gridPoints[i].Y * _encoder.InputHeight;
            labels[i] = 1;
        }
        return TrackerPrompt.PointsOnly(points, labels, gridPoints.Length, 1);
    }

    private static void Collect(TrackerOutput output, float predIouThresh, ResizePlan plan, List<Candidate> candidates)
    {
        // The stability test reads each candidate from one pooled buffer; only survivors get an array of
        // their own, so a 32x32 grid does not allocate thousands of large-object-heap copies.
        var size = output.MaskWidth * output.MaskHeight;
        var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(size);
        try
        {
            for (var o = 0; o < output.Objects; o++)
            {
                for (var k = 0; k < output.Candidates; k++)
                {
                    var iou = output.IouScores[(o * output.Candidates) + k];
                    if (!(iou > predIouThresh))
                    {
                        continue;
                    }
                    output.CopyLogits(o, k, scratch);
                    if (StabilityScore.Compute(scratch.AsSpan(0, size), 0f, StabilityOffset) < StabilityThreshold)
                    {
                        continue;
                    }
                    var mask = new LogitMask(scratch.AsSpan(0, size).ToArray(), plan);
                    if (mask.ApproximateBox() is { } box)
                    {
                        candidates.Add(new Candidate(mask, iou, box));
                    }
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Box NMS by predicted IoU; the result is ordered by score, highest first.</summary>
    private static List<Candidate> Suppress(List<Candidate> candidates)
    {
        var kept = BoxNms.Apply(candidates.Select(c => c.Box).ToList(), candidates.Select(c => c.Iou).ToList(), BoxNmsThreshold);
        return kept.Select(i => candidates[i]).ToList();
    }

    private sealed record Candidate(LogitMask Mask, float Iou, float[] Box);
}
