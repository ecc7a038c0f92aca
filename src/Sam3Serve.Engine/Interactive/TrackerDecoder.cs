using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Onnx;

namespace Sam3Serve.Engine.Interactive;

/// <summary>
/// The tracker prompt-encoder + mask-decoder: points, labels and boxes in the encoder's pixel frame in,
/// three candidate masks per object with predicted IoUs out. Static dimensions in the file are honoured: points are
/// padded with ignored (−10) entries, and the object dimension caps the batch.
/// </summary>
internal sealed class TrackerDecoder
{
    /// <summary>Label of a padding point the decoder ignores entirely.</summary>
    public const long PaddingLabel = -10;
    /// <summary>Label of a "not a point" placeholder (used with a box-only prompt).</summary>
    public const long NotAPointLabel = -1;

    /// <summary>
    /// Objects per run when the object dimension is dynamic. Each object repeats the image embeddings inside the
    /// graph (about 95 MB per object measured on the real decoder), so 64 objects peak near 6 GB.
    /// </summary>
    public const int DefaultObjectBatch = 64;

    private readonly OnnxModel _model;
    private readonly EngineCounters _counters;

    public TrackerDecoder(OnnxModel model, EngineCounters counters)
    {
        _model = model;
        _counters = counters;
        var points = model.Input("input_points");
        MaxObjects = points.IsStatic(1) ? (int)points.Dim(1) : int.MaxValue;
        var boxes = model.Input("input_boxes");
        MaxBoxes = boxes.IsStatic(1) ? (int)boxes.Dim(1) : int.MaxValue;
        StaticPoints = points.IsStatic(2) ? (int)points.Dim(2) : 0;
        model.Input("input_labels");
        model.Input("input_boxes");
    }

    /// <summary>The most objects one run takes (int.MaxValue when the dimension is dynamic).</summary>
    public int MaxObjects { get; }

    /// <summary>The most boxes one run takes (int.MaxValue when the dimension is dynamic).</summary>
    public int MaxBoxes { get; }

    /// <summary>The fixed number of points per object, or 0 when dynamic.</summary>
    public int StaticPoints { get; }

    /// <summary>Runs the decoder on <paramref name="prompt"/> (one run, <see cref="TrackerPrompt.Objects"/> objects).</summary>
    public TrackerOutput Run(FeatureSet features, TrackerPrompt prompt, StageClock clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var objects = prompt.Objects;
        if (objects > MaxObjects)
        {
            throw new InvalidOperationException($"the tracker decoder takes {MaxObjects} object(s) per run, asked for {objects}");
        }
        var (points, labels, pointsPerObject) = (prompt.Points, prompt.Labels, prompt.PointsPerObject);
        if (StaticPoints > 0 && pointsPerObject != StaticPoints)
        {
            // A file with a fixed point count cannot take the reference's token count; ignored (−10) entries fill it.
            (points, labels) = PadPoints(points, labels, objects, pointsPerObject, StaticPoints);
            pointsPerObject = StaticPoints;
        }
        var boxCount = prompt.BoxCount;
        var boxInput = _model.Input("input_boxes");
        if (boxInput.IsStatic(1) && boxInput.Dim(1) != boxCount)
        {
            throw new InvalidOperationException($"the tracker decoder takes exactly {boxInput.Dim(1)} box(es), asked for {boxCount}");
        }
        var inputs = new Dictionary<string, ModelInput>(StringComparer.Ordinal)
        {
            ["input_points"] = ModelInput.FromFloats(points, 1, objects, pointsPerObject, 2),
            ["input_labels"] = ModelInput.FromLongs(labels, 1, objects, pointsPerObject),
            ["input_boxes"] = ModelInput.FromFloats(prompt.Boxes, 1, boxCount, 4),
        };
        // Embeddings are matched by name; an export whose names differ is matched by order instead.
        var unmatched = features.Names.Where(n => !_model.HasInput(n)).ToList();
        foreach (var spec in _model.Inputs.Where(s => !inputs.ContainsKey(s.Name)))
        {
            if (features.Names.Contains(spec.Name))
            {
                inputs[spec.Name] = ModelInput.FromValue(features[spec.Name]);
            }
            else if (unmatched.Count > 0)
            {
                inputs[spec.Name] = ModelInput.FromValue(features[unmatched[0]]);
                unmatched.RemoveAt(0);
            }
            else
            {
                throw new InvalidOperationException($"the tracker decoder wants '{spec.Name}', which the tracker encoder does not produce");
            }
        }
        var outputs = clock.Measure(StageClock.Decoder, () => _model.Run(inputs, cancellationToken: cancellationToken));
        _counters.TrackerDecoderRan();
        return new TrackerOutput(outputs, objects);
    }

    private static (float[] Points, long[] Labels) PadPoints(float[] points, long[] labels, int objects, int count, int target)
    {
        if (count > target)
        {
            throw new InvalidOperationException($"the tracker decoder takes {target} point(s) per object, asked for {count}");
        }
        var padded = new float[objects * target * 2];
        var paddedLabels = new long[objects * target];
        Array.Fill(paddedLabels, PaddingLabel);
        for (var o = 0; o < objects; o++)
        {
            Array.Copy(points, o * count * 2, padded, o * target * 2, count * 2);
            Array.Copy(labels, o * count, paddedLabels, o * target, count);
        }
        return (padded, paddedLabels);
    }
}

/// <summary>One tracker decoder run's outputs: 3 candidates per object.</summary>
internal sealed class TrackerOutput : IDisposable
{
    private readonly ModelOutputs _outputs;

    public TrackerOutput(ModelOutputs outputs, int objects)
    {
        _outputs = outputs;
        Objects = objects;
        IouScores = outputs.ReadFloats("iou_scores");
        var shape = outputs.Shape("pred_masks");
        Candidates = (int)shape[2];
        MaskHeight = (int)shape[^2];
        MaskWidth = (int)shape[^1];
    }

    public int Objects { get; }
    public int Candidates { get; }

    /// <summary>Every output of the run, as the graph produced it.</summary>
    public ModelOutputs Raw => _outputs;
    public int MaskHeight { get; }
    public int MaskWidth { get; }

    /// <summary>Predicted IoU per object and candidate, [objects × candidates].</summary>
    public float[] IouScores { get; }

    /// <summary>The candidate with the highest predicted IoU for object <paramref name="o"/>.</summary>
    public int Best(int o)
    {
        var best = 0;
        for (var k = 1; k < Candidates; k++)
        {
            if (IouScores[(o * Candidates) + k] > IouScores[(o * Candidates) + best])
            {
                best = k;
            }
        }
        return best;
    }

    /// <summary>A copy of the low-resolution logits of object <paramref name="o"/>, candidate <paramref name="k"/>.</summary>
    public float[] Logits(int o, int k)
    {
        var result = new float[MaskWidth * MaskHeight];
        CopyLogits(o, k, result);
        return result;
    }

    /// <summary>Copies the low-resolution logits of object <paramref name="o"/>, candidate <paramref name="k"/> into <paramref name="destination"/>.</summary>
    public void CopyLogits(int o, int k, Span<float> destination) =>
        ElementConversion.CopySlice(_outputs["pred_masks"], (long)((o * Candidates) + k) * MaskWidth * MaskHeight, destination[..(MaskWidth * MaskHeight)]);

    public void Dispose() => _outputs.Dispose();
}
