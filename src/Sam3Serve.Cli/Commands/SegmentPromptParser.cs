using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Client;

namespace Sam3Serve.Cli.Commands;

/// <summary>Reads --points, --labels, --boxes and --box-labels into SDK prompts, accepting what the in-process path accepts.</summary>
internal static class SegmentPromptParser
{
    /// <summary>Points as the in-process path reads them: <c>[[x, y], ...]</c>, labels flat or nested once, one label for all.</summary>
    public static List<Sam3Point> Points(string pointsText, string? labelsText)
    {
        var coordinates = NumberRows(pointsText, 2, "--points", "[[x, y], ...]");
        var labels = string.IsNullOrEmpty(labelsText) ? [1] : Labels(labelsText);
        if (labels.Count != 1 && labels.Count != coordinates.Count)
        {
            throw new ArgumentException($"--labels: {labels.Count} labels for {coordinates.Count} points; give one label per point, or one for all");
        }
        return [.. coordinates.Select((c, i) => new Sam3Point(c[0], c[1], labels[labels.Count == 1 ? 0 : i] == 0 ? Sam3PointLabel.Background : Sam3PointLabel.Foreground))];
    }

    /// <summary>Boxes, each labelled by <paramref name="labelsText"/> (flat or nested once, one per box; default all positive).</summary>
    public static List<Sam3Box> Boxes(string text, string? labelsText = null)
    {
        var boxes = NumberRows(text, 4, "--boxes", "[[x1, y1, x2, y2], ...]");
        var labels = string.IsNullOrEmpty(labelsText) ? null : Labels(labelsText, "--box-labels");
        if (labels is not null && labels.Count != boxes.Count)
        {
            throw new ArgumentException($"--box-labels: {labels.Count} labels for {boxes.Count} boxes; give one label per box (1 positive, 0 negative exemplar)");
        }
        return [.. boxes.Select((b, i) => new Sam3Box(b[0], b[1], b[2], b[3], labels is null || labels[i] == 1 ? Sam3BoxLabel.Positive : Sam3BoxLabel.Negative))];
    }

    private static List<int> Labels(string text, string option = "--labels")
    {
        var node = JsonNode.Parse(text) as JsonArray ?? throw new FormatException($"{option} must be a JSON array, e.g. [1, 0]");
        if (node.Count == 1 && node[0] is JsonArray nested)
        {
            node = nested;
        }
        return [.. node.Select(v => v?.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() is var d && (d == 0 || d == 1)
            ? (int)d
            : throw new FormatException($"{option}: '{v?.ToJsonString()}' is not 0 or 1"))];
    }

    /// <summary>A JSON array of rows of <paramref name="width"/> numbers; a single bare row is accepted too.</summary>
    private static List<double[]> NumberRows(string text, int width, string option, string shape)
    {
        var root = JsonNode.Parse(text) as JsonArray ?? throw new FormatException($"{option} must be a JSON array {shape}");
        var rows = root.Count > 0 && root[0] is JsonArray ? root.Select(r => r as JsonArray).ToList() : [root];
        var result = new List<double[]>(rows.Count);
        foreach (var row in rows)
        {
            if (row is null || row.Count != width || row.Any(v => v?.GetValueKind() != JsonValueKind.Number))
            {
                throw new FormatException($"{option} must be {shape}: '{row?.ToJsonString() ?? "null"}' is not {width} numbers");
            }
            result.Add([.. row.Select(v => v!.GetValue<double>())]);
        }
        return result;
    }
}
