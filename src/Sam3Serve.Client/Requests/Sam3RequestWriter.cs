using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sam3Serve.Client;

/// <summary>
/// Writes a <see cref="Sam3Request"/> as the contract's JSON body: unset fields omitted, numbers and booleans
/// as JSON values, and the prompt arrays as JSON text inside strings (<c>"points_input": "[[300, 400]]"</c>),
/// the way Segmind's API takes them.
/// </summary>
internal static class Sam3RequestWriter
{
    // The body is never embedded in HTML, so '+' and '/' of base64 need no escaping.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<byte[]> WriteAsync(Sam3Request request, CancellationToken cancellationToken)
    {
        var image = await request.Image.GetWireValueAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream(image.Length + 512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("image", image);
            if (request.TextPrompt is { } prompt)
            {
                json.WriteString("text_prompt", prompt);
            }
            if (request.TextPrompts is { } prompts)
            {
                json.WriteStartArray("text_prompts");
                foreach (var p in prompts)
                {
                    json.WriteStringValue(p);
                }
                json.WriteEndArray();
            }
            if (request.Points is { } points)
            {
                json.WriteString("points_input", FormatPoints(points));
                json.WriteString("point_labels_input", FormatLabels(points));
            }
            if (request.Boxes is { } boxes)
            {
                json.WriteString("boxes_input", FormatBoxes(boxes));
                // Sent only with a negative box, so an all-positive request is the body Segmind takes.
                if (boxes.Any(b => b.Label != Sam3BoxLabel.Positive))
                {
                    json.WriteString("box_labels_input", FormatBoxLabels(boxes));
                }
            }
            WriteNumber(json, "threshold", request.Threshold);
            WriteNumber(json, "points_per_side", request.PointsPerSide);
            WriteNumber(json, "pred_iou_thresh", request.PredIouThresh);
            WriteNumber(json, "max_masks", request.MaxMasks);
            WriteBool(json, "return_preview", request.ReturnPreview);
            WriteBool(json, "return_overlay", request.ReturnOverlay);
            WriteBool(json, "return_masks", request.ReturnMasks);
            if (request.MaskFormat is { } format)
            {
                json.WriteString("mask_format", FormatMaskFormat(format));
            }
            if (request.BoxMode is { } mode)
            {
                json.WriteString("box_mode", mode == Sam3BoxMode.Object ? "object" : "exemplar");
            }
            if (request.ImageId is { } id)
            {
                json.WriteString("image_id", id);
            }
            if (request.Tiles is { } tiles)
            {
                if (tiles.Keyword is { } keyword)
                {
                    json.WriteString("tiles", keyword);
                }
                else
                {
                    json.WriteStartObject("tiles");
                    json.WriteNumber("rows", tiles.Rows);
                    json.WriteNumber("cols", tiles.Cols);
                    json.WriteEndObject();
                }
            }
            WriteNumber(json, "tile_overlap", request.TileOverlap);
            if (request.Webhook is { } webhook)
            {
                json.WriteString("webhook", webhook.AbsoluteUri);
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    internal static string FormatMaskFormat(Sam3MaskFormat format) => format switch
    {
        Sam3MaskFormat.Rle => "rle",
        Sam3MaskFormat.Polygon => "polygon",
        _ => "png",
    };

    // "[[300, 400], [10, 20]]": Python's json.dumps spacing, as Segmind's own examples write it.
    internal static string FormatPoints(IReadOnlyList<Sam3Point> points)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < points.Count; i++)
        {
            text.Append(i == 0 ? "[" : ", [").Append(Number(points[i].X)).Append(", ").Append(Number(points[i].Y)).Append(']');
        }
        return text.Append(']').ToString();
    }

    // Nested once ("[[1, 0]]"), Segmind's own form; one label per point.
    internal static string FormatLabels(IReadOnlyList<Sam3Point> points)
    {
        var text = new StringBuilder("[[");
        for (var i = 0; i < points.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append((int)points[i].Label);
        }
        return text.Append("]]").ToString();
    }

    // Flat ("[1, 0]"): one label per box, in the order of boxes_input.
    internal static string FormatBoxLabels(IReadOnlyList<Sam3Box> boxes)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < boxes.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append((int)boxes[i].Label);
        }
        return text.Append(']').ToString();
    }

    internal static string FormatBoxes(IReadOnlyList<Sam3Box> boxes)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            text.Append(i == 0 ? "[" : ", [")
                .Append(Number(b.X1)).Append(", ").Append(Number(b.Y1)).Append(", ")
                .Append(Number(b.X2)).Append(", ").Append(Number(b.Y2)).Append(']');
        }
        return text.Append(']').ToString();
    }

    // Shortest round-trip form: 300 for whole numbers, 300.5 otherwise; never a culture's decimal comma.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteNumber(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }

    private static void WriteBool(Utf8JsonWriter json, string name, bool? value)
    {
        if (value is { } v)
        {
            json.WriteBoolean(name, v);
        }
    }
}
