using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Requests;

/// <summary>
/// The request's rules: field types and ranges, Segmind's string-encoded arrays (real arrays
/// accepted too), and mode selection. Collects every broken rule, then throws one 400 naming them all.
/// Unknown fields are ignored, because Segmind's SDK sends extra ones.
/// </summary>
internal static class RequestValidator
{
    private const int MaxTextLength = 500;
    private const int MaxTextPrompts = 16;
    private const int MaxImageIdLength = 256;
    private const int MaxWebhookLength = 2048;

    /// <summary>The most rows or columns an explicit tile grid may have.</summary>
    public const int MaxTileSide = 8;

    /// <summary>
    /// Validates <paramref name="body"/>; <paramref name="upload"/> is the multipart image, if any;
    /// <paramref name="maxTiles"/> caps rows × cols of <c>tiles</c> (the server's <c>--max-tiles</c>).
    /// </summary>
    public static SubmittedRequest Validate(JsonObject body, byte[]? upload, int maxTiles = 16)
    {
        var errors = new Dictionary<string, List<string>>();
        void Fail(string field, string rule) => (errors.TryGetValue(field, out var list) ? list : errors[field] = []).Add(rule);

        // Only the type is checked here: the value may be megabytes of base64, read later from the body's bytes.
        var image = ReadStringNode(body, "image", Fail);
        if (upload is null && image is null && !errors.ContainsKey("image"))
        {
            Fail("image", "is required (a URL, base64 data or a data URI; or a multipart file part named 'image')");
        }
        else if (upload is not null && upload.Length == 0)
        {
            Fail("image", "the uploaded file is empty");
        }

        var textPrompt = ReadString(body, "text_prompt", Fail);
        var prompts = new List<string>();
        if (textPrompt is not null)
        {
            var trimmed = textPrompt.Trim();
            if (trimmed.Length is 0 or > MaxTextLength)
            {
                Fail("text_prompt", $"must be 1–{MaxTextLength} characters after trimming");
            }
            else
            {
                prompts.Add(trimmed);
            }
        }
        ReadTextPrompts(body, prompts, Fail);

        var points = ReadNumberRows(body, "points_input", 2, Fail);
        var labels = ReadLabels(body, "point_labels_input", "1 = foreground, 0 = background", Fail);
        var boxes = ReadNumberRows(body, "boxes_input", 4, Fail);
        var boxLabels = ReadLabels(body, "box_labels_input", "1 = positive exemplar, 0 = negative exemplar", Fail);
        var threshold = ReadNumber(body, "threshold", 0.5, 0.1, 1, integer: false, Fail);
        var pointsPerSide = ReadNumber(body, "points_per_side", 32, 0, 128, integer: true, Fail);
        var predIou = ReadNumber(body, "pred_iou_thresh", 0.88, 0.5, 1, integer: false, Fail);
        var maxMasks = ReadNumber(body, "max_masks", 0, 0, 100, integer: true, Fail);
        var returnPreview = ReadBool(body, "return_preview", true, Fail);
        var returnOverlay = ReadBool(body, "return_overlay", false, Fail);
        var returnMasks = ReadBool(body, "return_masks", false, Fail);
        var maskFormat = ReadEnum(body, "mask_format", MaskFormat.Png, Fail);
        var boxMode = ReadEnum(body, "box_mode", BoxMode.Exemplar, Fail);
        var imageId = ReadString(body, "image_id", Fail);
        if (imageId is not null && (imageId.Length == 0 || imageId.Length > MaxImageIdLength))
        {
            Fail("image_id", $"must be 1–{MaxImageIdLength} characters");
        }

        var webhook = ReadWebhook(body, Fail);
        var tiles = ReadTiles(body, maxTiles, Fail);
        var tileOverlap = ReadNumber(body, "tile_overlap", 0.2, 0, 0.5, integer: false, Fail);

        // One label per box, no broadcast (unlike point labels): a label list that does not line up with the
        // boxes is a mistake, and reading it any other way could turn an exemplar negative silently.
        if (boxLabels is not null && !errors.ContainsKey("boxes_input") && boxLabels.Count != (boxes?.Count ?? 0))
        {
            Fail("box_labels_input", boxes is null
                ? $"has {boxLabels.Count} label(s) but boxes_input gives no boxes: give one label per box of boxes_input"
                : $"has {boxLabels.Count} label(s) for {boxes.Count} box(es): give exactly one label per box");
            boxLabels = null;
        }

        var boxPrompts = new List<BoxPrompt>();
        if (boxes is not null)
        {
            for (var i = 0; i < boxes.Count; i++)
            {
                var b = boxes[i];
                if (b[2] <= b[0]) Fail("boxes_input", $"x2 must be greater than x1 in box [{string.Join(", ", b)}]");
                else if (b[3] <= b[1]) Fail("boxes_input", $"y2 must be greater than y1 in box [{string.Join(", ", b)}]");
                else boxPrompts.Add(new BoxPrompt((float)b[0], (float)b[1], (float)b[2], (float)b[3], Positive: boxLabels is null || boxLabels[i] == 1));
            }
        }

        var pointPrompts = new List<PointPrompt>();
        if (points is not null)
        {
            var pointLabels = labels ?? [1];
            if (pointLabels.Count != 1 && pointLabels.Count != points.Count)
            {
                Fail("point_labels_input", $"has {pointLabels.Count} labels for {points.Count} points: give one label per point, or one label for all");
            }
            else
            {
                for (var i = 0; i < points.Count; i++)
                {
                    pointPrompts.Add(new PointPrompt((float)points[i][0], (float)points[i][1], pointLabels.Count == 1 ? pointLabels[0] : pointLabels[i]));
                }
            }
            if (boxes is { Count: > 1 })
            {
                Fail("boxes_input", "at most one box may accompany points_input (the points and the box select one object)");
            }
        }

        var mode = SegmentationMode.Automatic;
        if (points is not null)
        {
            mode = SegmentationMode.Interactive;
        }
        else if (prompts.Count > 0 || boxes is not null)
        {
            mode = prompts.Count == 0 && boxMode == BoxMode.Object ? SegmentationMode.Interactive : SegmentationMode.Concept;
        }
        else if (pointsPerSide == 0 && errors.Count == 0)
        {
            throw new ApiException(400, "no prompt given and automatic mode is off (points_per_side is 0): give text_prompt, points_input or boxes_input");
        }

        // A negative exemplar means "not this kind", which only concept mode has.
        if (boxLabels is not null && boxLabels.Contains(0))
        {
            if (boxMode == BoxMode.Object)
            {
                Fail("box_labels_input", "0 (negative exemplar) is not allowed with box_mode \"object\": each box is an object to cut out; use label 1, or box_mode \"exemplar\"");
            }
            else if (points is not null)
            {
                Fail("box_labels_input", "0 (negative exemplar) is not allowed with points_input: the box selects the object with the points; negative boxes are for concept mode");
            }
        }

        // Tiles give the model a closer look for finding every instance; an interactive prompt names its object already.
        if (tiles is not null && mode == SegmentationMode.Interactive)
        {
            Fail("tiles", "only concept and automatic mode use tiles; an interactive request (points_input, or box_mode \"object\") takes \"off\"");
        }

        if (errors.Count > 0)
        {
            var summary = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
            throw new ApiException(400, summary, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        }

        var request = new SegmentationRequest
        {
            Mode = mode,
            TextPrompts = prompts,
            Points = pointPrompts,
            Boxes = boxPrompts,
            BoxMode = boxMode,
            Threshold = (float)threshold,
            PointsPerSide = (int)pointsPerSide,
            PredIouThresh = (float)predIou,
            MaxMasks = (int)maxMasks,
            ImageId = imageId,
            Tiles = tiles,
            TileOverlap = (float)tileOverlap,
            Output = new OutputOptions
            {
                ReturnPreview = returnPreview,
                ReturnOverlay = returnOverlay,
                ReturnMasks = returnMasks,
                MaskFormat = maskFormat,
            },
        };
        return new SubmittedRequest(request, upload is null ? image : null, upload) { Webhook = webhook };
    }

    /// <summary>
    /// <c>tiles</c>: <c>"off"</c> (null), <c>"auto"</c>, or <c>{"rows": R, "cols": C}</c> (a real object, or one written
    /// as a string as form fields must), 1 ≤ R, C ≤ 8 and R × C ≤ <paramref name="maxTiles"/>.
    /// </summary>
    private static TileGrid? ReadTiles(JsonObject body, int maxTiles, Action<string, string> fail)
    {
        const string name = "tiles";
        var rule = $"must be \"off\", \"auto\" or {{\"rows\": R, \"cols\": C}} with R and C from 1 to {MaxTileSide}";
        if (Present(body, name) is not { } node) return null;
        if (node.GetValueKind() == JsonValueKind.String)
        {
            var text = node.GetValue<string>().Trim();
            if (text.Length == 0 || text.Equals("off", StringComparison.OrdinalIgnoreCase)) return null;
            if (text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return new TileGrid { Auto = true, MaxTiles = maxTiles };
            if (!text.StartsWith('{'))
            {
                fail(name, $"{rule}, not {Describe(node)}");
                return null;
            }
            node = ParseEmbedded(name, text, fail);
            if (node is null) return null;
        }
        if (node is not JsonObject grid)
        {
            fail(name, $"{rule}, not {Describe(node)}");
            return null;
        }
        if (grid.Select(p => p.Key).FirstOrDefault(k => k is not ("rows" or "cols")) is { } unknown)
        {
            fail(name, $"{rule}; '{Truncate(unknown)}' is not one of them");
            return null;
        }
        int? Side(string key)
        {
            if (!grid.TryGetPropertyValue(key, out var value) || !TryFiniteNumber(value, out var number)
                || number != Math.Floor(number) || number < 1 || number > MaxTileSide)
            {
                fail(name, $"{rule}; {key} is {(value is null ? "missing" : Describe(value))}");
                return null;
            }
            return (int)number;
        }
        var rows = Side("rows");
        var cols = rows is null ? null : Side("cols");
        if (rows is null || cols is null) return null;
        if (rows.Value * cols.Value > maxTiles)
        {
            fail(name, $"{rows} × {cols} = {rows.Value * cols.Value} tiles is more than this server's limit of {maxTiles} (--max-tiles)");
            return null;
        }
        return new TileGrid { Rows = rows.Value, Cols = cols.Value, MaxTiles = maxTiles };
    }

    /// <summary>An absolute http(s) URL; its host is checked against the address guard by the caller.</summary>
    private static Uri? ReadWebhook(JsonObject body, Action<string, string> fail)
    {
        const string name = "webhook";
        var text = ReadString(body, name, fail);
        if (text is null)
        {
            return null;
        }
        text = text.Trim();
        if (text.Length == 0)
        {
            return null; // form clients send empty fields for "not given"
        }
        if (text.Length > MaxWebhookLength)
        {
            fail(name, $"must be at most {MaxWebhookLength} characters");
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || string.IsNullOrEmpty(url.Host))
        {
            fail(name, $"must be an absolute http or https URL, not '{Truncate(text)}'");
            return null;
        }
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            fail(name, $"scheme '{url.Scheme}' is not allowed; use http or https");
            return null;
        }
        return url;
    }

    private static JsonNode? Present(JsonObject body, string name) =>
        body.TryGetPropertyValue(name, out var node) && node is not null && node.GetValueKind() != JsonValueKind.Null ? node : null;

    private static JsonNode? ReadStringNode(JsonObject body, string name, Action<string, string> fail)
    {
        if (Present(body, name) is not { } node) return null;
        if (node.GetValueKind() != JsonValueKind.String)
        {
            fail(name, $"must be a string, not {Describe(node)}");
            return null;
        }
        return node;
    }

    private static string? ReadString(JsonObject body, string name, Action<string, string> fail)
    {
        if (Present(body, name) is not { } node) return null;
        if (node.GetValueKind() != JsonValueKind.String)
        {
            fail(name, $"must be a string, not {Describe(node)}");
            return null;
        }
        return node.GetValue<string>();
    }

    private static void ReadTextPrompts(JsonObject body, List<string> prompts, Action<string, string> fail)
    {
        const string name = "text_prompts";
        if (Present(body, name) is not { } node) return;
        if (node.GetValueKind() == JsonValueKind.String)
        {
            node = ParseEmbedded(name, node.GetValue<string>(), fail);
            if (node is null) return;
        }
        if (node is not JsonArray array)
        {
            fail(name, $"must be an array of strings, not {Describe(node)}");
            return;
        }
        if (array.Count is 0 or > MaxTextPrompts)
        {
            fail(name, $"must hold 1–{MaxTextPrompts} prompts");
            return;
        }
        if (prompts.Count + array.Count > MaxTextPrompts)
        {
            fail(name, $"text_prompt and text_prompts together may hold at most {MaxTextPrompts} prompts");
            return;
        }
        foreach (var item in array)
        {
            if (item?.GetValueKind() != JsonValueKind.String)
            {
                fail(name, "every prompt must be a string");
                return;
            }
            var text = item.GetValue<string>().Trim();
            if (text.Length is 0 or > MaxTextLength)
            {
                fail(name, $"every prompt must be 1–{MaxTextLength} characters after trimming");
                return;
            }
            prompts.Add(text);
        }
    }

    /// <summary>Reads <c>[[a, b, ...], ...]</c> given as a JSON string (Segmind) or a real array; null when absent.</summary>
    private static List<double[]>? ReadNumberRows(JsonObject body, string name, int width, Action<string, string> fail)
    {
        if (Present(body, name) is not { } node) return null;
        if (node.GetValueKind() == JsonValueKind.String)
        {
            var text = node.GetValue<string>();
            if (string.IsNullOrWhiteSpace(text)) return null; // form clients send empty fields for "not given"
            node = ParseEmbedded(name, text, fail);
            if (node is null) return null;
        }
        var shape = width == 2 ? "[[x, y], ...]" : "[[x1, y1, x2, y2], ...]";
        if (node is not JsonArray rows || rows.Count == 0)
        {
            fail(name, $"must be a non-empty array of the form {shape}");
            return null;
        }
        if (rows.Count > 1000)
        {
            fail(name, "must hold at most 1000 entries");
            return null;
        }
        var result = new List<double[]>(rows.Count);
        foreach (var row in rows)
        {
            if (row is not JsonArray items || items.Count != width)
            {
                fail(name, $"every entry must be an array of {width} numbers ({shape})");
                return null;
            }
            var values = new double[width];
            for (var i = 0; i < width; i++)
            {
                if (!TryFiniteNumber(items[i], out values[i]))
                {
                    fail(name, $"every coordinate must be a finite number, got {Describe(items[i])}");
                    return null;
                }
                if (values[i] < 0 || values[i] > 1_000_000)
                {
                    fail(name, "coordinates must be pixels of the image (0 to 1000000)");
                    return null;
                }
            }
            result.Add(values);
        }
        return result;
    }

    /// <summary>Labels flat (<c>[1, 0]</c>) or nested once (<c>[[1, 0]]</c>); each 0 or 1; <paramref name="meaning"/> is for messages.</summary>
    private static List<int>? ReadLabels(JsonObject body, string name, string meaning, Action<string, string> fail)
    {
        if (Present(body, name) is not { } node) return null;
        if (node.GetValueKind() == JsonValueKind.String)
        {
            var text = node.GetValue<string>();
            if (string.IsNullOrWhiteSpace(text)) return null;
            node = ParseEmbedded(name, text, fail);
            if (node is null) return null;
        }
        if (node is JsonArray { Count: 1 } outer && outer[0] is JsonArray inner)
        {
            node = inner;
        }
        if (node is not JsonArray labels || labels.Count == 0)
        {
            fail(name, $"must be a non-empty array of labels ({meaning}), flat or nested once");
            return null;
        }
        var result = new List<int>(labels.Count);
        foreach (var item in labels)
        {
            if (!TryFiniteNumber(item, out var value) || (value != 0 && value != 1))
            {
                fail(name, $"every label must be 0 or 1 ({meaning}), got {Describe(item)}");
                return null;
            }
            result.Add((int)value);
        }
        return result;
    }

    private static double ReadNumber(JsonObject body, string name, double fallback, double min, double max, bool integer, Action<string, string> fail)
    {
        if (Present(body, name) is not { } node) return fallback;
        var kind = integer ? "an integer" : "a number";
        if (node.GetValueKind() != JsonValueKind.Number || !TryFiniteNumber(node, out var value))
        {
            fail(name, $"must be {kind} from {min} to {max}, not {Describe(node)}");
            return fallback;
        }
        if (integer && value != Math.Floor(value))
        {
            fail(name, $"must be an integer from {min} to {max}, got {value}");
            return fallback;
        }
        if (value < min || value > max)
        {
            fail(name, $"must be from {min} to {max}, got {value}");
            return fallback;
        }
        return value;
    }

    private static bool ReadBool(JsonObject body, string name, bool fallback, Action<string, string> fail)
    {
        if (Present(body, name) is not { } node) return fallback;
        switch (node.GetValueKind())
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            default:
                fail(name, $"must be true or false, not {Describe(node)}");
                return fallback;
        }
    }

    private static T ReadEnum<T>(JsonObject body, string name, T fallback, Action<string, string> fail) where T : struct, Enum
    {
        var allowed = string.Join(", ", Enum.GetNames<T>().Select(n => $"\"{n.ToLowerInvariant()}\""));
        if (Present(body, name) is not { } node) return fallback;
        if (node.GetValueKind() == JsonValueKind.String && Enum.TryParse<T>(node.GetValue<string>(), ignoreCase: true, out var value)
            && !int.TryParse(node.GetValue<string>(), out _))
        {
            return value;
        }
        fail(name, $"must be one of {allowed}, not {Describe(node)}");
        return fallback;
    }

    // 1000 boxes of four six-digit coordinates take about 45,000 characters; anything longer is refused
    // before it is parsed into a tree many times its size.
    private const int MaxEmbeddedLength = 100_000;

    private static JsonNode? ParseEmbedded(string name, string text, Action<string, string> fail)
    {
        if (text.Length > MaxEmbeddedLength)
        {
            fail(name, $"is {text.Length} characters long; at most {MaxEmbeddedLength}");
            return null;
        }
        if (!RequestBodyReader.StringsAreReadable(System.Text.Encoding.UTF8.GetBytes(text)))
        {
            fail(name, "holds a \\u escape of a lone surrogate (not a character)");
            return null;
        }
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            fail(name, $"is not a valid JSON array: '{Truncate(text)}'");
            return null;
        }
    }

    private static bool TryFiniteNumber(JsonNode? node, out double value)
    {
        value = 0;
        if (node is null || node.GetValueKind() != JsonValueKind.Number) return false;
        try
        {
            value = node.GetValue<double>();
        }
        catch (FormatException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        return double.IsFinite(value);
    }

    private static string Describe(JsonNode? node) => node is null
        ? "null"
        : node.GetValueKind() switch
        {
            JsonValueKind.String => $"the string '{Truncate(node.GetValue<string>())}'",
            JsonValueKind.Array => "an array",
            JsonValueKind.Object => "an object",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => Truncate(node.ToJsonString()),
        };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
