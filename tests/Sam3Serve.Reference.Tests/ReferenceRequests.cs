using System.Globalization;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Reference.Tests;

/// <summary>A reference case's prompt as an engine request and as a /v1 body.</summary>
public static class ReferenceRequests
{
    public static SegmentationRequest ForEngine(ReferenceCase c)
    {
        var p = c.Prompt;
        var points = Pairs(p["points"]);
        var pointLabels = Ints(p["point_labels"]);
        var boxes = Quads(p["boxes"]);
        var boxLabels = Ints(p["box_labels"]);
        return new SegmentationRequest
        {
            Mode = c.IsConcept ? SegmentationMode.Concept : SegmentationMode.Interactive,
            TextPrompts = p["text"] is { } text ? [text.GetValue<string>()] : [],
            Points = points.Select((q, i) => new PointPrompt((float)q[0], (float)q[1], pointLabels[i])).ToList(),
            Boxes = boxes.Select((b, i) => new BoxPrompt((float)b[0], (float)b[1], (float)b[2], (float)b[3], boxLabels.Count == 0 || boxLabels[i] == 1)).ToList(),
            BoxMode = !c.IsConcept && points.Count == 0 ? BoxMode.Object : BoxMode.Exemplar,
            Threshold = (float)(c.Threshold ?? 0.5),
            Output = new OutputOptions { ReturnPreview = false, ReturnMasks = true, MaskFormat = MaskFormat.Rle },
        };
    }

    public static JsonObject ForHttp(ReferenceCase c)
    {
        var p = c.Prompt;
        var body = new JsonObject
        {
            ["return_preview"] = false,
            ["return_masks"] = true,
            ["mask_format"] = "rle",
        };
        if (p["text"] is { } text)
        {
            body["text_prompt"] = text.GetValue<string>();
        }
        if (p["points"] is { } points)
        {
            body["points_input"] = points.ToJsonString();
            body["point_labels_input"] = p["point_labels"]!.ToJsonString();
        }
        if (p["boxes"] is { } boxes)
        {
            body["boxes_input"] = boxes.ToJsonString();
        }
        if (p["box_labels"] is { } boxLabels)
        {
            body["box_labels_input"] = boxLabels.ToJsonString();
        }
        if (c.Threshold is { } threshold)
        {
            body["threshold"] = threshold;
        }
        if (!c.IsConcept && p["points"] is null)
        {
            body["box_mode"] = "object";
        }
        return body;
    }

    private static List<double[]> Pairs(JsonNode? node) => node is JsonArray a ? a.Select(v => v!.AsArray().Select(x => x!.GetValue<double>()).ToArray()).ToList() : [];

    private static List<double[]> Quads(JsonNode? node) => Pairs(node);

    private static List<int> Ints(JsonNode? node) => node is JsonArray a ? a.Select(v => v!.GetValue<int>()).ToList() : [];

    /// <summary>For messages: the prompt as the case gives it.</summary>
    public static string Describe(ReferenceCase c) => c.Prompt.ToJsonString().ToString(CultureInfo.InvariantCulture);
}
