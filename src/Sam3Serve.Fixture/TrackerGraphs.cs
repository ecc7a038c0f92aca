using Onnx;
using static Sam3Serve.Fixture.FixtureGeometry;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Sam3Serve.Fixture;

/// <summary>
/// The fixture's tracker graphs: the encoder passes the normalised colours through (2×2 average pool), the
/// decoder segments the pixels whose colour is close to the colour under the prompt.
/// </summary>
internal static class TrackerGraphs
{
    /// <summary>Euclidean colour distance (normalised units) at which the colour-match candidate's logit crosses 0.</summary>
    public const float MatchRadius = 1.2f;
    /// <summary>The same for the looser candidate 0.</summary>
    public const float WideRadius = 2.5f;
    /// <summary>Logit slope per unit of colour distance.</summary>
    public const float Slope = 20f;

    /// <summary>pixel_values [batch,3,S,S] → image_embeddings.0 = 2×2 average pool, .1/.2 further pools.</summary>
    public static ModelProto VisionEncoder(string doc)
    {
        var g = new GraphBuilder("fixture_tracker_vision_encoder");
        // The input name of the usls file is unconfirmed: the engine feeds the only input whatever its name.
        var pixels = g.Input("pixel_values", DataType.Float, "batch", 3, ImageSize, ImageSize);
        var level0 = g.Op("AveragePool", [pixels], null, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        var level1 = g.Op("AveragePool", [level0], null, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        var level2 = g.Op("AveragePool", [level0], null, ("kernel_shape", new long[] { 7, 7 }), ("strides", new long[] { 7, 7 }));
        g.Output("image_embeddings.0", level0, DataType.Float, "batch", Channels, MaskSize, MaskSize);
        g.Output("image_embeddings.1", level1, DataType.Float, "batch", Channels, Level1Size, Level1Size);
        g.Output("image_embeddings.2", level2, DataType.Float, "batch", Channels, Level2Size, Level2Size);
        return g.Build(doc);
    }

    /// <summary>
    /// Reference colour per object = mean colour under its label-1 points plus the colour at the centre of its box (box
    /// b belongs to object b). Candidates: 0 = colours within <see cref="WideRadius"/>, 1 = within
    /// <see cref="MatchRadius"/>, 2 = empty; iou_scores = [0.6, 0.95 if the reference colour is pure (every channel
    /// beyond ±0.8) else 0.5, 0.05]; object_score_logits = +10 with a reference colour, −10 without.
    /// </summary>
    public static ModelProto Decoder(string doc)
    {
        var g = new GraphBuilder("fixture_tracker_prompt_encoder_mask_decoder");
        var points = g.Input("input_points", DataType.Float, "batch", "num_objects", "num_points", 2);
        var labels = g.Input("input_labels", DataType.Int64, "batch", "num_objects", "num_points");
        var boxes = g.Input("input_boxes", DataType.Float, "batch", "num_boxes", 4);
        var emb0 = g.Input("image_embeddings.0", DataType.Float, "batch", Channels, MaskSize, MaskSize);
        g.Input("image_embeddings.1", DataType.Float, "batch", Channels, Level1Size, Level1Size);
        g.Input("image_embeddings.2", DataType.Float, "batch", Channels, Level2Size, Level2Size);

        // Points are pixels of the S×S encoder frame; GridSample wants −1…1 (align_corners=0: −1 is the left edge).
        var toGrid = 2f / ImageSize;
        var pointColours = g.Op("GridSample", [emb0, g.Affine(points, toGrid, -1f)], null, ("mode", "nearest"), ("align_corners", 0L), ("padding_mode", "border")); // [B,3,N,P]
        var weights = g.Unsqueeze(g.Cast(g.Op("Equal", [labels, g.LongScalar(1)]), DataType.Float), 1); // [B,1,N,P]
        var colourSum = g.ReduceSum(g.Mul(pointColours, weights), [3], keepDims: false); // [B,3,N]
        var weightSum = g.ReduceSum(weights, [3], keepDims: false); // [B,1,N]

        // Box centres, in the same frame. Box b belongs to object b, as in the real decoder (which wants as many boxes
        // as objects when both are given); an empty box list adds nothing.
        var centreX = g.Mul(g.Add(g.Slice(boxes, 0, 1, 2), g.Slice(boxes, 2, 3, 2)), g.Scalar(0.5f));
        var centreY = g.Mul(g.Add(g.Slice(boxes, 1, 2, 2), g.Slice(boxes, 3, 4, 2)), g.Scalar(0.5f));
        var centres = g.Unsqueeze(g.Affine(g.Concat(2, centreX, centreY), toGrid, -1f), 1); // [B,1,nb,2]
        var boxColours = g.Op("Squeeze", [g.Op("GridSample", [emb0, centres], null, ("mode", "nearest"), ("align_corners", 0L), ("padding_mode", "border")), g.Longs(2)]); // [B,3,nb]
        var objectIndex = g.Op("Range", [g.LongScalar(0), g.Op("Gather", [g.Op("Shape", [points]), g.LongScalar(1)]), g.LongScalar(1)]); // [N]
        var boxIndex = g.Op("Range", [g.LongScalar(0), g.Op("Gather", [g.Op("Shape", [boxes]), g.LongScalar(1)]), g.LongScalar(1)]); // [nb]
        var pairs = g.Cast(g.Op("Equal", [g.Unsqueeze(boxIndex, 1), g.Unsqueeze(objectIndex, 0)]), DataType.Float); // [nb,N]
        var boxColourSum = g.ReduceSum(g.Mul(g.Unsqueeze(boxColours, 3), pairs), [2], keepDims: false); // [B,3,N]
        var boxCount = g.Unsqueeze(g.ReduceSum(pairs, [0], keepDims: false), 0); // [1,N]

        var total = g.Add(weightSum, boxCount); // [B,1,N]
        var reference = g.Div(g.Add(colourSum, boxColourSum), g.Op("Max", [total, g.Scalar(1e-6f)])); // [B,3,N]
        var has = g.Cast(g.Op("Greater", [total, g.Scalar(0f)]), DataType.Float); // [B,1,N]

        var referenceGrid = g.Unsqueeze(g.Op("Transpose", [reference], null, ("perm", new long[] { 0, 2, 1 })), 3, 4); // [B,N,3,1,1]
        var diff = g.Sub(g.Unsqueeze(emb0, 1), referenceGrid); // [B,N,3,M,M]
        var distance = g.Op("Sqrt", [g.Add(g.ReduceSum(g.Mul(diff, diff), [2], keepDims: false), g.Scalar(1e-6f))]); // [B,N,M,M]
        var hasGrid = g.Unsqueeze(g.Op("Transpose", [has], null, ("perm", new long[] { 0, 2, 1 })), 3); // [B,N,1,1]
        string Candidate(float radius)
        {
            var logits = g.Mul(g.Sub(g.Scalar(radius), distance), g.Scalar(Slope));
            return g.Unsqueeze(g.Add(g.Mul(logits, hasGrid), g.Mul(g.Sub(hasGrid, g.Scalar(1f)), g.Scalar(10f))), 2);
        }
        var empty = g.Unsqueeze(g.Add(g.Mul(distance, g.Scalar(0f)), g.Scalar(-10f)), 2);
        var masks = g.Concat(2, Candidate(WideRadius), Candidate(MatchRadius), empty); // [B,N,3,M,M]

        var purity = g.ReduceMin(g.Op("Abs", [reference]), [1], keepDims: false); // [B,N]
        var pure = g.Cast(g.Op("Greater", [purity, g.Scalar(0.8f)]), DataType.Float);
        var matchIou = g.Unsqueeze(g.Affine(pure, PureColourIou - BlendColourIou, BlendColourIou), 2); // [B,N,1]
        var zeros = g.Mul(matchIou, g.Scalar(0f));
        var iou = g.Concat(2, g.Add(zeros, g.Scalar(WideCandidateIou)), matchIou, g.Add(zeros, g.Scalar(EmptyCandidateIou)));
        var hasObject = g.Op("Transpose", [has], null, ("perm", new long[] { 0, 2, 1 })); // [B,N,1]
        var objectScore = g.Affine(hasObject, 20f, -10f);

        g.Output("iou_scores", iou, DataType.Float, "batch", "num_objects", 3);
        g.Output("pred_masks", masks, DataType.Float, "batch", "num_objects", 3, MaskSize, MaskSize);
        g.Output("object_score_logits", objectScore, DataType.Float, "batch", "num_objects", 1);
        return g.Build(doc);
    }
}
