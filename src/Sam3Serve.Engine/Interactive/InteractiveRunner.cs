using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Postprocessing;

namespace Sam3Serve.Engine.Interactive;

/// <summary>
/// Interactive segmentation (spec §8): points (and at most one box) make one object; boxes alone with box_mode
/// "object" make one object each. Coordinates follow the stretch to the encoder frame; the best of the three
/// candidates by predicted IoU is kept.
/// </summary>
internal sealed class InteractiveRunner
{
    private readonly ImageEncoder _encoder;
    private readonly TrackerDecoder _decoder;

    public InteractiveRunner(ImageEncoder encoder, TrackerDecoder decoder)
    {
        _encoder = encoder;
        _decoder = decoder;
    }

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
                if (request.Boxes.Count > 1)
                {
                    throw new InvalidOperationException("points can be combined with at most one box");
                }
                var points = new float[request.Points.Count * 2];
                var labels = new long[request.Points.Count];
                for (var i = 0; i < request.Points.Count; i++)
                {
                    points[2 * i] = request.Points[i].X * sx;
                    points[(2 * i) + 1] = request.Points[i].Y * sy;
                    labels[i] = request.Points[i].Label;
                }
                var box = request.Boxes.Count == 1 ? Scale(request.Boxes[0], sx, sy) : [];
                objects.Add(Decode(features, points, labels, box, image, ref plan, clock, cancellationToken));
            }
            else
            {
                foreach (var b in request.Boxes)
                {
                    // Box only: one placeholder point that the prompt encoder reads as "not a point" (usls).
                    objects.Add(Decode(features, [0f, 0f], [TrackerDecoder.NotAPointLabel], Scale(b, sx, sy), image, ref plan, clock, cancellationToken));
                }
            }
        }
        finally
        {
            features.Release();
        }
        return objects;
    }

    private DetectedObject Decode(FeatureSet features, float[] points, long[] labels, float[] box, RgbImage image, ref ResizePlan? plan, StageClock clock, CancellationToken cancellationToken)
    {
        using var output = _decoder.Run(features, points, labels, 1, labels.Length, box, clock, cancellationToken);
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var best = output.Best(0);
        plan ??= new ResizePlan(output.MaskWidth, output.MaskHeight, image.Width, image.Height);
        var mask = new LogitMask(output.Logits(0, best), plan);
        var result = new DetectedObject { Score = output.IouScores[best], Box = mask.ComputeBox(), Mask = mask };
        clock.Add(StageClock.Postprocess, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        return result;
    }

    private static float[] Scale(BoxPrompt box, float sx, float sy) => [box.X1 * sx, box.Y1 * sy, box.X2 * sx, box.Y2 * sy];
}
