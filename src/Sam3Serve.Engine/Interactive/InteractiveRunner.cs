using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Postprocessing;

namespace Sam3Serve.Engine.Interactive;

/// <summary>
/// Interactive segmentation: points (and at most one box) make one object; boxes alone with box_mode
/// "object" make one object each. Coordinates follow the stretch to the encoder frame; the best of the three
/// candidates by predicted IoU is kept.
/// </summary>
internal sealed class InteractiveRunner
{
    private readonly IImageFeatureSource _encoder;
    private readonly TrackerDecoder _decoder;

    private readonly int _objectBatch;

    public InteractiveRunner(IImageFeatureSource encoder, TrackerDecoder decoder, int objectBatch)
    {
        _encoder = encoder;
        _decoder = decoder;
        _objectBatch = objectBatch;
    }

    /// <summary>The image features this path decodes from.</summary>
    public IImageFeatureSource ImageFeatures => _encoder;

    /// <summary>
    /// The prompt forms interactive and automatic mode send, each as one small run on the encoder frame: the warm-up
    /// and the load-time self-check run them.
    /// </summary>
    public IReadOnlyList<(string Form, TrackerPrompt Prompt)> CheckForms()
    {
        float w = _encoder.InputWidth, h = _encoder.InputHeight;
        var forms = new List<(string, TrackerPrompt)>
        {
            ("a foreground and a background point", TrackerPrompt.PointsOnly([0.3f * w, 0.4f * h, 0.7f * w, 0.6f * h], [1, 0], 1, 2)),
            ("a box with a point", TrackerPrompt.BoxWithPoints([0.2f * w, 0.2f * h, 0.6f * w, 0.7f * h], [0.4f * w, 0.45f * h], [1])),
        };
        var batch = Math.Min(4, Math.Min(_objectBatch, _decoder.MaxObjects));
        var grid = AutomaticGrid.Points(2);
        var gridPoints = grid.Take(batch).SelectMany(p => new[] { p.X * w, p.Y * h }).ToArray();
        forms.Add(($"{batch} grid points as {batch} objects", TrackerPrompt.PointsOnly(gridPoints, Enumerable.Repeat(1L, batch).ToArray(), batch, 1)));
        var boxObjects = Math.Min(2, Math.Min(_objectBatch, Math.Min(_decoder.MaxObjects, _decoder.MaxBoxes)));
        float[] boxes = [0.1f * w, 0.1f * h, 0.5f * w, 0.6f * h, 0.4f * w, 0.3f * h, 0.9f * w, 0.8f * h];
        forms.Add(($"{boxObjects} box(es) as objects", TrackerPrompt.BoxesOnly(boxes[..(4 * boxObjects)])));
        return forms;
    }

    /// <summary>Runs the decoder once on <paramref name="prompt"/>.</summary>
    public TrackerOutput RunOnFeatures(FeatureSet features, TrackerPrompt prompt, StageClock clock, CancellationToken cancellationToken) =>
        _decoder.Run(features, prompt, clock, cancellationToken);

    public List<DetectedObject> Run(SegmentationRequest request, RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        var sx = (float)_encoder.InputWidth / image.Width;
        var sy = (float)_encoder.InputHeight / image.Height;
        var objects = new List<DetectedObject>();
        var features = _encoder.Encode(image, imageKey, clock, cancellationToken);
        try
        {
            ResizePlan? plan = null;
            if (request.Points.Count > 0)
            {
                var prompt = PointsPrompt(request, image.Width, image.Height);
                using var output = _decoder.Run(features, prompt, clock, cancellationToken);
                objects.Add(Pick(output, 0, image, ref plan, clock));
            }
            else
            {
                // Boxes alone: one object per box, as many per run as the object dimension and memory allow; box i
                // belongs to object i, and no point token is added (the reference adds none).
                var perRun = Math.Max(1, Math.Min(_objectBatch, Math.Min(_decoder.MaxObjects, _decoder.MaxBoxes)));
                for (var start = 0; start < request.Boxes.Count; start += perRun)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var count = Math.Min(perRun, request.Boxes.Count - start);
                    var boxes = new float[count * 4];
                    for (var i = 0; i < count; i++)
                    {
                        Scale(request.Boxes[start + i], sx, sy).CopyTo(boxes, i * 4);
                    }
                    using var output = _decoder.Run(features, TrackerPrompt.BoxesOnly(boxes), clock, cancellationToken);
                    for (var o = 0; o < count; o++)
                    {
                        objects.Add(Pick(output, o, image, ref plan, clock));
                    }
                }
            }
        }
        finally
        {
            features.Release();
        }
        return objects;
    }

    /// <summary>
    /// The decoder prompt for the request's points (and its box, if one is given) as one object, in the encoder frame of
    /// an image of <paramref name="width"/> × <paramref name="height"/> pixels.
    /// </summary>
    internal TrackerPrompt PointsPrompt(SegmentationRequest request, int width, int height)
    {
        if (request.Boxes.Count > 1)
        {
            throw new InvalidOperationException("points can be combined with at most one box");
        }
        var sx = (float)_encoder.InputWidth / width;
        var sy = (float)_encoder.InputHeight / height;
        var points = new float[request.Points.Count * 2];
        var labels = new long[request.Points.Count];
        for (var i = 0; i < request.Points.Count; i++)
        {
            points[2 * i] = request.Points[i].X * sx;
            points[(2 * i) + 1] = request.Points[i].Y * sy;
            labels[i] = request.Points[i].Label;
        }
        return request.Boxes.Count == 1
            ? TrackerPrompt.BoxWithPoints(Scale(request.Boxes[0], sx, sy), points, labels)
            : TrackerPrompt.PointsOnly(points, labels, 1, labels.Length);
    }

    private static DetectedObject Pick(TrackerOutput output, int o, RgbImage image, ref ResizePlan? plan, StageClock clock)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var best = output.Best(o);
        plan ??= new ResizePlan(output.MaskWidth, output.MaskHeight, image.Width, image.Height);
        var mask = new LogitMask(output.Logits(o, best), plan);
        // A predicted IoU that is not a number says nothing about the mask; it is reported as 0 rather than breaking
        // the answer. (The NaNs once seen here came from box tokens no input filled; see EmptyBoxesRepair.)
        var iou = output.IouScores[(o * output.Candidates) + best];
        var result = new DetectedObject { Score = float.IsFinite(iou) ? Math.Clamp(iou, 0f, 1f) : 0f, Box = mask.ComputeBox(), Mask = mask };
        clock.Add(StageClock.Postprocess, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        return result;
    }

    private static float[] Scale(BoxPrompt box, float sx, float sy) => [box.X1 * sx, box.Y1 * sy, box.X2 * sx, box.Y2 * sy];
}
