using Onnx;
using static Sam3Serve.Fixture.FixtureGeometry;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Sam3Serve.Fixture;

/// <summary>
/// The fixture's concept-path graphs (v2 layout: vision, text, geometry, decoder): a vision encoder that emits per-pixel colour evidence, a
/// text encoder that turns the keyword tokens into a colour code, and a decoder that puts the matching pixels into
/// query 0.
/// </summary>
internal static class ConceptGraphs
{
    /// <summary>
    /// images [batch,3,S,S] → 2×2 average pool → per colour c: evidence = min(x_c, −x_other1, −x_other2) on the
    /// normalised pixels (−1…1), positive only where channel c is above mid-grey and the others below it.
    /// fpn_feat_0 [batch,3,M,M] is that evidence; the other levels are average pools of it; fpn_pos_2 a constant.
    /// </summary>
    public static ModelProto VisionEncoder(string doc)
    {
        var g = new GraphBuilder("fixture_vision_encoder");
        var images = g.Input("images", DataType.Float, "batch", 3, ImageSize, ImageSize);
        var pooled = g.Op("AveragePool", [images], null, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        var evidence = ColourEvidence(g, pooled);
        var level1 = g.Op("AveragePool", [evidence], null, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        var level2 = g.Op("AveragePool", [evidence], null, ("kernel_shape", new long[] { 7, 7 }), ("strides", new long[] { 7, 7 }));
        var position = new float[Channels * Level2Size * Level2Size];
        for (var i = 0; i < position.Length; i++)
        {
            position[i] = MathF.Sin(i * 0.37f);
        }
        var pos = g.Add(g.Mul(level2, g.Scalar(0f)), g.Floats(position, 1, Channels, Level2Size, Level2Size));
        g.Output("fpn_feat_0", evidence, DataType.Float, "batch", Channels, MaskSize, MaskSize);
        g.Output("fpn_feat_1", level1, DataType.Float, "batch", Channels, Level1Size, Level1Size);
        g.Output("fpn_feat_2", level2, DataType.Float, "batch", Channels, Level2Size, Level2Size);
        g.Output("fpn_pos_2", pos, DataType.Float, "batch", Channels, Level2Size, Level2Size);
        return g.Build(doc);
    }

    /// <summary>
    /// text_features[b,t,k] = 1 where token t is keyword k (red, green, blue, visual) and attention_mask is 1;
    /// text_mask = attention_mask &gt; 0.
    /// </summary>
    public static ModelProto TextEncoder(string doc, IReadOnlyList<long> keywordIds)
    {
        var g = new GraphBuilder("fixture_text_encoder");
        var ids = g.Input("input_ids", DataType.Int64, "batch", ContextLength);
        var mask = g.Input("attention_mask", DataType.Int64, "batch", ContextLength);
        var maskFloat = g.Cast(mask, DataType.Float);
        var columns = new string[keywordIds.Count];
        for (var k = 0; k < keywordIds.Count; k++)
        {
            var hit = g.Cast(g.Op("Equal", [ids, g.LongScalar(keywordIds[k])]), DataType.Float);
            columns[k] = g.Unsqueeze(g.Mul(hit, maskFloat), 2);
        }
        var features = g.Concat(2, columns);
        var textMask = g.Op("Greater", [mask, g.LongScalar(0)]);
        g.Output("text_features", features, DataType.Float, "batch", ContextLength, TextWidth);
        g.Output("text_mask", textMask, DataType.Bool, "batch", ContextLength);
        return g.Build(doc);
    }

    /// <summary>
    /// Colour code = max over valid text tokens of the red/green/blue columns, or'ed with the colour found (evidence
    /// &gt; 0) at the centre of each positive box, minus the colours at negative boxes. Query 0's mask logits are
    /// 10 × the evidence of the coded colour(s); its box is the min/max of the positive cells; its logit and the
    /// presence logit say whether any cell is positive. Every other query is −20 everywhere.
    /// </summary>
    public static ModelProto Decoder(string doc)
    {
        var g = new GraphBuilder("fixture_geo_encoder_mask_decoder");
        var feat0 = g.Input("fpn_feat_0", DataType.Float, "batch", Channels, MaskSize, MaskSize);
        g.Input("fpn_feat_1", DataType.Float, "batch", Channels, Level1Size, Level1Size);
        g.Input("fpn_feat_2", DataType.Float, "batch", Channels, Level2Size, Level2Size);
        g.Input("fpn_pos_2", DataType.Float, "batch", Channels, Level2Size, Level2Size);
        var text = g.Input("text_features", DataType.Float, "batch", ContextLength, TextWidth);
        var textMask = g.Input("text_mask", DataType.Bool, "batch", ContextLength);
        var boxes = g.Input("input_boxes", DataType.Float, "batch", "num_boxes", 4);
        var labels = g.Input("input_boxes_labels", DataType.Int64, "batch", "num_boxes");

        // Text: [B,32,4] masked → max over tokens → first three columns [B,3].
        var validTokens = g.Unsqueeze(g.Cast(textMask, DataType.Float), 2);
        var textCode = g.Slice(g.ReduceMax(g.Mul(text, validTokens), [1], keepDims: false), 0, 3, 1);

        // Boxes (normalised cx, cy, w, h): sample the evidence at each centre.
        var centres = g.Affine(g.Slice(boxes, 0, 2, 2), 2f, -1f);
        var sampled = g.Op("GridSample", [feat0, g.Unsqueeze(centres, 2)], null, ("mode", "nearest"), ("align_corners", 0L), ("padding_mode", "border"));
        var present = g.Cast(g.Op("Greater", [sampled, g.Scalar(0f)]), DataType.Float); // [B,3,nb,1]
        string BoxCode(long label)
        {
            var selected = g.Unsqueeze(g.Cast(g.Op("Equal", [labels, g.LongScalar(label)]), DataType.Float), 1, 3);
            return g.ReduceMax(g.Mul(present, selected), [2, 3], keepDims: false);
        }
        var code = g.Mul(g.Op("Max", [textCode, BoxCode(1)]), g.Sub(g.Scalar(1f), BoxCode(0)));

        EmitDetections(g, feat0, code);
        return g.Build(doc);
    }

    /// <summary>
    /// v1 geometry encoder: one token per box = +1 (positive) or −1 (negative) in the columns of the colours
    /// whose evidence is positive at the box centre on fpn_feat_2, then a CLS token of zeros; padding boxes (label
    /// −10) are masked out, the CLS token never is.
    /// </summary>
    public static ModelProto GeometryEncoderV1(string doc)
    {
        var g = new GraphBuilder("fixture_geometry_encoder");
        var boxes = g.Input("input_boxes", DataType.Float, "batch", "num_boxes", 4);
        var labels = g.Input("input_boxes_labels", DataType.Int64, "batch", "num_boxes");
        var feat2 = g.Input("fpn_feat_2", DataType.Float, "batch", Channels, Level2Size, Level2Size);
        g.Input("fpn_pos_2", DataType.Float, "batch", Channels, Level2Size, Level2Size);

        var centres = g.Unsqueeze(g.Affine(g.Slice(boxes, 0, 2, 2), 2f, -1f), 2);
        var sampled = g.Op("GridSample", [feat2, centres], null, ("mode", "nearest"), ("align_corners", 0L), ("padding_mode", "border")); // [B,3,nb,1]
        var present = g.Cast(g.Op("Greater", [g.Op("Squeeze", [sampled, g.Longs(3)]), g.Scalar(0f)]), DataType.Float); // [B,3,nb]
        var perBox = g.Op("Transpose", [present], null, ("perm", new long[] { 0, 2, 1 })); // [B,nb,3]
        var positive = g.Cast(g.Op("Equal", [labels, g.LongScalar(1)]), DataType.Float);
        var negative = g.Cast(g.Op("Equal", [labels, g.LongScalar(0)]), DataType.Float);
        var sign = g.Unsqueeze(g.Sub(positive, negative), 2); // [B,nb,1]
        var signed = g.Mul(perBox, sign);
        var tokens = g.Concat(2, signed, g.Mul(g.Slice(signed, 0, 1, 2), g.Scalar(0f))); // [B,nb,4]
        var cls = g.Mul(g.Slice(tokens, 0, 1, 1), g.Scalar(0f)); // [B,1,4]
        var valid = g.Op("Not", [g.Op("Equal", [labels, g.LongScalar(-10)])]);
        var clsValid = g.Op("Equal", [g.Mul(g.Slice(labels, 0, 1, 1), g.LongScalar(0)), g.LongScalar(0)]);
        g.Output("geometry_features", g.Concat(1, tokens, cls), DataType.Float, "batch", "num_tokens", TextWidth);
        g.Output("geometry_mask", g.Concat(1, valid, clsValid), DataType.Bool, "batch", "num_tokens");
        return g.Build(doc);
    }

    /// <summary>
    /// v1 decoder: colour code = colours with a positive valid prompt token and no negative one; then as the
    /// v2 decoder.
    /// </summary>
    public static ModelProto DecoderV1(string doc)
    {
        var g = new GraphBuilder("fixture_decoder_v1");
        var feat0 = g.Input("fpn_feat_0", DataType.Float, "batch", Channels, MaskSize, MaskSize);
        g.Input("fpn_feat_1", DataType.Float, "batch", Channels, Level1Size, Level1Size);
        g.Input("fpn_feat_2", DataType.Float, "batch", Channels, Level2Size, Level2Size);
        g.Input("fpn_pos_2", DataType.Float, "batch", Channels, Level2Size, Level2Size);
        var prompt = g.Input("prompt_features", DataType.Float, "batch", "prompt_length", TextWidth);
        var promptMask = g.Input("prompt_mask", DataType.Bool, "batch", "prompt_length");

        var masked = g.Mul(prompt, g.Unsqueeze(g.Cast(promptMask, DataType.Float), 2));
        var positive = g.Op("Relu", [g.Slice(g.ReduceMax(masked, [1], keepDims: false), 0, 3, 1)]);
        var negative = g.Op("Relu", [g.Slice(g.ReduceMax(g.Op("Neg", [masked]), [1], keepDims: false), 0, 3, 1)]);
        EmitDetections(g, feat0, g.Mul(positive, g.Sub(g.Scalar(1f), negative)));
        return g.Build(doc);
    }

    /// <summary>The four outputs of both decoders from the colour code [B,3] (see <see cref="Decoder"/>).</summary>
    private static void EmitDetections(GraphBuilder g, string feat0, string code)
    {
        // Query 0: evidence of the coded colours (uncoded colours forced to −2), best over colours, × 10.
        var code4 = g.Unsqueeze(code, 2, 3);
        var gated = g.Add(g.Mul(feat0, code4), g.Mul(g.Sub(code4, g.Scalar(1f)), g.Scalar(2f)));
        var mask0 = g.Mul(g.ReduceMax(gated, [1], keepDims: true), g.Scalar(10f)); // [B,1,M,M]
        var inside = g.Cast(g.Op("Greater", [mask0, g.Scalar(0f)]), DataType.Float);
        var detected = g.Cast(g.Op("Greater", [g.ReduceMax(mask0, [1, 2, 3], keepDims: false), g.Scalar(0f)]), DataType.Float); // [B]

        // Box of the positive cells: masked min/max of cell-edge coordinate grids, normalised xyxy.
        var left = new float[MaskSize];
        var right = new float[MaskSize];
        for (var i = 0; i < MaskSize; i++)
        {
            left[i] = (float)i / MaskSize;
            right[i] = (float)(i + 1) / MaskSize;
        }
        var outside = g.Mul(g.Sub(g.Scalar(1f), inside), g.Scalar(4f));
        var x1 = g.ReduceMin(g.Add(g.Floats(left, 1, 1, 1, MaskSize), outside), [1, 2, 3], keepDims: false);
        var y1 = g.ReduceMin(g.Add(g.Floats(left, 1, 1, MaskSize, 1), outside), [1, 2, 3], keepDims: false);
        var x2 = g.ReduceMax(g.Sub(g.Floats(right, 1, 1, 1, MaskSize), outside), [1, 2, 3], keepDims: false);
        var y2 = g.ReduceMax(g.Sub(g.Floats(right, 1, 1, MaskSize, 1), outside), [1, 2, 3], keepDims: false);
        var box0 = g.Mul(g.Concat(1, g.Unsqueeze(x1, 1), g.Unsqueeze(y1, 1), g.Unsqueeze(x2, 1), g.Unsqueeze(y2, 1)), g.Unsqueeze(detected, 1));
        box0 = g.Unsqueeze(box0, 1); // [B,1,4]

        var logit0 = g.Unsqueeze(g.Affine(detected, DetectedLogit - AbsentLogit, AbsentLogit), 1); // [B,1]
        var presence = g.Unsqueeze(g.Affine(detected, DetectedPresence - AbsentLogit, AbsentLogit), 1);

        var others = Queries - 1;
        var otherLogits = g.Add(g.Mul(logit0, g.Scalar(0f)), g.Floats(Enumerable.Repeat(OtherQueryLogit, others).ToArray(), 1, others));
        var otherMasks = g.Add(g.Mul(mask0, g.Scalar(0f)), g.Floats(Enumerable.Repeat(OtherQueryLogit, others).ToArray(), 1, others, 1, 1));
        var otherBoxes = g.Add(g.Mul(box0, g.Scalar(0f)), g.Floats(new float[others * 4], 1, others, 4));

        g.Output("pred_masks", g.Concat(1, mask0, otherMasks), DataType.Float, "batch", Queries, MaskSize, MaskSize);
        g.Output("pred_boxes", g.Concat(1, box0, otherBoxes), DataType.Float, "batch", Queries, 4);
        g.Output("pred_logits", g.Concat(1, logit0, otherLogits), DataType.Float, "batch", Queries);
        g.Output("presence_logits", presence, DataType.Float, "batch", 1);
    }

    /// <summary>[B,3,H,W] normalised colours → [B,3,H,W] evidence min(x_c, −x_(c+1), −x_(c+2)) via a 1×1 conv and a min.</summary>
    private static string ColourEvidence(GraphBuilder g, string pooled)
    {
        var weights = new float[9 * 3];
        for (var c = 0; c < 3; c++)
        {
            weights[((3 * c) + 0) * 3 + c] = 1f;
            weights[((3 * c) + 1) * 3 + ((c + 1) % 3)] = -1f;
            weights[((3 * c) + 2) * 3 + ((c + 2) % 3)] = -1f;
        }
        var signed = g.Op("Conv", [pooled, g.Floats(weights, 9, 3, 1, 1)]);
        var grouped = g.Op("Reshape", [signed, g.Longs(0, 3, 3, MaskSize, MaskSize)]);
        return g.ReduceMin(grouped, [2], keepDims: false);
    }
}
