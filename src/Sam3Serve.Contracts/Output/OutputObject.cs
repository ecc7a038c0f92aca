using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Sam3Serve.Contracts.Output;

/// <summary>
/// The output object of a finished request (masks, scores, boxes, images). Image fields hold a reference that the server turns into a
/// data URI (v1) or an absolute media URL (v2); while stored they hold the media file name.
/// </summary>
public sealed record OutputObject
{
    [JsonPropertyName("width")] public required int Width { get; init; }
    [JsonPropertyName("height")] public required int Height { get; init; }
    /// <summary>"concept", "interactive" or "automatic".</summary>
    [JsonPropertyName("mode")] public required string Mode { get; init; }
    [JsonPropertyName("preview")] public string? Preview { get; init; }
    [JsonPropertyName("overlay")] public string? Overlay { get; init; }
    [JsonPropertyName("masks")] public required IReadOnlyList<MaskEntry> Masks { get; init; }
    [JsonPropertyName("count")] public int Count => Masks.Count;
}

/// <summary>One kept object in the output object.</summary>
public sealed record MaskEntry
{
    [JsonPropertyName("index")] public required int Index { get; init; }
    [JsonPropertyName("score")] public required double Score { get; init; }
    /// <summary>x1, y1, x2, y2 in pixels of the original image.</summary>
    [JsonPropertyName("box")] public required double[] Box { get; init; }
    /// <summary>Pixels inside the mask.</summary>
    [JsonPropertyName("area")] public required long Area { get; init; }
    [JsonPropertyName("prompt_index")] public int PromptIndex { get; init; }
    /// <summary>The pass that found the object: <c>[row, col]</c> of its tile, or null for the whole-image pass.</summary>
    [JsonPropertyName("tile")] public int[]? Tile { get; init; }
    /// <summary>Present when return_masks is true: an image reference (string), an RLE object or polygons.</summary>
    [JsonPropertyName("mask")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonNode? Mask { get; init; }
}
