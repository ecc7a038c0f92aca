using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Sam3Serve.Server.Apis;

// The body of POST /v1|v2/{model} as the OpenAPI document describes it. Documentation only: the endpoints read the
// body themselves and Requests.RequestValidator applies the rules. Its [Description]s are the documentation: XML
// comments here would replace them in the OpenAPI document (the generator prefers XML comments).
[Description("A sam3-image request. The array fields are JSON written as strings, as Segmind takes them (\"[[300, 400]]\"); a real JSON array is accepted too. Unknown fields are ignored. Sent as multipart/form-data, the image is a file part named 'image' and the other fields are form fields.")]
internal sealed class SegmentationRequestBody
{
    [JsonPropertyName("image"), Description("Required: an http(s) URL, raw base64, or a data:image/...;base64, URI (or, in multipart/form-data, a file part).")]
    public string? Image { get; init; }

    [JsonPropertyName("text_prompt"), Description("A concept to find everywhere (concept mode); 1-500 characters after trimming.")]
    public string? TextPrompt { get; init; }

    [JsonPropertyName("text_prompts"), Description("Sam3Serve extension: 1-16 concepts in one request; each mask carries its prompt_index.")]
    public IReadOnlyList<string>? TextPrompts { get; init; }

    [JsonPropertyName("points_input"), Description("\"[[x, y], ...]\" in pixels of the original image: interactive mode (one object).")]
    public string? PointsInput { get; init; }

    [JsonPropertyName("point_labels_input"), Description("One label per point, 1 = foreground, 0 = background, flat (\"[1, 0]\") or nested once (\"[[1, 0]]\"); one label applies to all points. Default \"[[1]]\"; ignored without points.")]
    public string? PointLabelsInput { get; init; }

    [JsonPropertyName("boxes_input"), Description("\"[[x1, y1, x2, y2], ...]\" in pixels of the original image, x2 > x1, y2 > y1: exemplars of a concept (box_mode \"exemplar\"), or objects to cut out (box_mode \"object\"). With points_input: at most one box.")]
    public string? BoxesInput { get; init; }

    [JsonPropertyName("box_labels_input"), Description("Sam3Serve extension: one label per box of boxes_input, in its order, flat (\"[1, 0]\") or nested once (\"[[1, 0]]\"): 1 = positive exemplar, 0 = negative exemplar (\"not this kind\"). The count must equal the number of boxes. Default: all 1. A 0 is for concept mode only: with box_mode \"object\" or with points_input it is a 400.")]
    public string? BoxLabelsInput { get; init; }

    [JsonPropertyName("threshold"), Description("0.1-1, default 0.5: concept-mode detection score threshold; detections at or below it are dropped.")]
    public double? Threshold { get; init; }

    [JsonPropertyName("points_per_side"), Description("0-128, default 32: automatic-mode grid density; 0 turns automatic mode off.")]
    public int? PointsPerSide { get; init; }

    [JsonPropertyName("pred_iou_thresh"), Description("0.5-1, default 0.88: automatic-mode predicted-IoU filter.")]
    public double? PredIouThresh { get; init; }

    [JsonPropertyName("max_masks"), Description("0-100, default 0 (no limit): keeps the highest-scoring masks.")]
    public int? MaxMasks { get; init; }

    [JsonPropertyName("tiles"), Description("Sam3Serve extension: \"off\" (default), \"auto\" (tiles only when the long side exceeds 2016 px, the fewest of at most ~1512 px a side: 6000x4000 -> 3 rows x 4 cols) or {\"rows\": R, \"cols\": C} with 1 <= R, C <= 8 and R x C within the server's --max-tiles (default 16). Concept mode runs the whole image and each tile, merges objects cut by tile edges and drops duplicates; each mask says its tile ([row, col], null for the whole-image pass); metrics.image_passes counts the passes. Automatic mode maps it to SAM's crop layers (2x2 -> 1 layer, up to 4x4 -> 2, up to 8x8 -> 3). Interactive mode: only \"off\".")]
    public object? Tiles { get; init; }

    [JsonPropertyName("tile_overlap"), Description("Sam3Serve extension: 0-0.5, default 0.2: fraction of a tile shared with its neighbour (concept mode).")]
    public double? TileOverlap { get; init; }

    [JsonPropertyName("return_preview"), Description("Default true: the combined preview mask image.")]
    public bool? ReturnPreview { get; init; }

    [JsonPropertyName("return_overlay"), Description("Default false: the masks drawn over the input image.")]
    public bool? ReturnOverlay { get; init; }

    [JsonPropertyName("return_masks"), Description("Default false: one mask per object, in mask_format.")]
    public bool? ReturnMasks { get; init; }

    [JsonPropertyName("mask_format"), Description("Sam3Serve extension: \"png\" (default), \"rle\" (COCO compressed RLE) or \"polygon\".")]
    public string? MaskFormat { get; init; }

    [JsonPropertyName("box_mode"), Description("Sam3Serve extension: \"exemplar\" (default; boxes show the kind of object to find everywhere) or \"object\" (each box is one object to cut out).")]
    public string? BoxMode { get; init; }

    [JsonPropertyName("image_id"), Description("Sam3Serve extension: the client's name for the image (1-256 characters), to reuse cached image features.")]
    public string? ImageId { get; init; }

    [JsonPropertyName("webhook"), Description("Sam3Serve extension, /v2 only: an http(s) URL that receives the final body when the request ends.")]
    public string? Webhook { get; init; }
}
