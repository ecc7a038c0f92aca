namespace Sam3Serve.Client;

/// <summary>
/// One sam3-image request. Every property maps to one contract field; a property left null is not sent, so
/// the server's default applies. Set properties directly or chain the <c>With…</c> methods:
/// <code>Sam3Request.FromFile("cat.jpg").WithTextPrompt("cat").WithMasks(Sam3MaskFormat.Rle)</code>
/// Obvious mistakes (empty prompts, empty lists, NaN) throw <see cref="ArgumentException"/> naming the wire
/// field at once; range rules are the server's and come back as a 400 <see cref="Sam3ApiException"/>.
/// </summary>
public sealed class Sam3Request
{
    private Sam3Image _image;
    private string? _textPrompt;
    private IReadOnlyList<string>? _textPrompts;
    private IReadOnlyList<Sam3Point>? _points;
    private IReadOnlyList<Sam3Box>? _boxes;
    private double? _threshold;
    private double? _predIouThresh;
    private Sam3MaskFormat? _maskFormat;
    private Sam3BoxMode? _boxMode;
    private string? _imageId;
    private Uri? _webhook;
    private double? _tileOverlap;

    /// <summary>A request on <paramref name="image"/> with every other field left to the server's default.</summary>
    public Sam3Request(Sam3Image image)
    {
        ArgumentNullException.ThrowIfNull(image, "image");
        _image = image;
    }

    /// <summary>A request on an image the server downloads from <paramref name="url"/>.</summary>
    public static Sam3Request FromUrl(string url) => new(Sam3Image.FromUrl(url));

    /// <summary>A request on an image file, read and sent as base64 when the request is sent.</summary>
    public static Sam3Request FromFile(string path) => new(Sam3Image.FromFile(path));

    /// <summary>A request on image file bytes, sent as base64.</summary>
    public static Sam3Request FromBytes(byte[] bytes) => new(Sam3Image.FromBytes(bytes));

    /// <summary>A request on the rest of <paramref name="stream"/>, read now and sent as base64.</summary>
    public static Sam3Request FromStream(Stream stream) => new(Sam3Image.FromStream(stream));

    /// <summary><c>image</c>: the image to segment.</summary>
    public Sam3Image Image
    {
        get => _image;
        set
        {
            ArgumentNullException.ThrowIfNull(value, "image");
            _image = value;
        }
    }

    /// <summary><c>text_prompt</c>: the concept to find, e.g. "yellow school bus".</summary>
    public string? TextPrompt
    {
        get => _textPrompt;
        set
        {
            if (value is not null && string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException("text_prompt: must not be empty or white space", "text_prompt");
            }
            _textPrompt = value;
        }
    }

    /// <summary><c>text_prompts</c> (Sam3Serve extension): several concepts in one request; masks carry the prompt index.</summary>
    public IReadOnlyList<string>? TextPrompts
    {
        get => _textPrompts;
        set => _textPrompts = value is null ? null : CheckTextPrompts(value);
    }

    /// <summary><c>points_input</c> and <c>point_labels_input</c>: points that select one object (interactive mode).</summary>
    public IReadOnlyList<Sam3Point>? Points
    {
        get => _points;
        set => _points = value is null ? null : CheckPoints(value);
    }

    /// <summary>
    /// <c>boxes_input</c> and <c>box_labels_input</c>: exemplar boxes (concept mode), each positive or negative by its
    /// <see cref="Sam3Box.Label"/>, or object boxes (<see cref="Sam3BoxMode.Object"/>, positive only).
    /// </summary>
    public IReadOnlyList<Sam3Box>? Boxes
    {
        get => _boxes;
        set => _boxes = value is null ? null : CheckBoxes(value);
    }

    /// <summary><c>threshold</c>: concept-mode detection score threshold (server default 0.5).</summary>
    public double? Threshold
    {
        get => _threshold;
        set => _threshold = CheckFinite(value, "threshold");
    }

    /// <summary><c>points_per_side</c>: automatic-mode grid density; 0 turns automatic mode off (server default 32).</summary>
    public int? PointsPerSide { get; set; }

    /// <summary><c>pred_iou_thresh</c>: automatic-mode predicted-IoU filter (server default 0.88).</summary>
    public double? PredIouThresh
    {
        get => _predIouThresh;
        set => _predIouThresh = CheckFinite(value, "pred_iou_thresh");
    }

    /// <summary><c>max_masks</c>: keep at most this many masks, highest scores first; 0 = no limit.</summary>
    public int? MaxMasks { get; set; }

    /// <summary><c>return_preview</c>: the combined preview mask image (server default true).</summary>
    public bool? ReturnPreview { get; set; }

    /// <summary><c>return_overlay</c>: the masks drawn over the input image (server default false).</summary>
    public bool? ReturnOverlay { get; set; }

    /// <summary><c>return_masks</c>: one mask per object in the output (server default false).</summary>
    public bool? ReturnMasks { get; set; }

    /// <summary><c>mask_format</c> (Sam3Serve extension): encoding of per-mask output (server default png).</summary>
    public Sam3MaskFormat? MaskFormat
    {
        get => _maskFormat;
        set => _maskFormat = CheckDefined(value, "mask_format");
    }

    /// <summary><c>box_mode</c> (Sam3Serve extension): how boxes are read (server default exemplar).</summary>
    public Sam3BoxMode? BoxMode
    {
        get => _boxMode;
        set => _boxMode = CheckDefined(value, "box_mode");
    }

    /// <summary><c>image_id</c> (Sam3Serve extension): the caller's name for the image, to reuse cached image features.</summary>
    public string? ImageId
    {
        get => _imageId;
        set
        {
            if (value is not null && string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException("image_id: must not be empty or white space", "image_id");
            }
            _imageId = value;
        }
    }

    /// <summary><c>tiles</c> (Sam3Serve extension): tiles for a closer look at a large image (server default off).</summary>
    public Sam3Tiles? Tiles { get; set; }

    /// <summary><c>tile_overlap</c> (Sam3Serve extension): fraction of a tile shared with its neighbour, 0–0.5 (server default 0.2).</summary>
    public double? TileOverlap
    {
        get => _tileOverlap;
        set
        {
            if (value is { } v && (!double.IsFinite(v) || v < 0 || v > 0.5))
            {
                throw new ArgumentOutOfRangeException("tile_overlap", v, "tile_overlap: must be from 0 to 0.5");
            }
            _tileOverlap = value;
        }
    }

    /// <summary>Sets <see cref="Tiles"/> and, when given, <see cref="TileOverlap"/>.</summary>
    public Sam3Request WithTiles(Sam3Tiles tiles, double? overlap = null)
    {
        ArgumentNullException.ThrowIfNull(tiles, "tiles");
        Tiles = tiles;
        if (overlap is not null)
        {
            TileOverlap = overlap;
        }
        return this;
    }

    /// <summary>
    /// <c>webhook</c> (Sam3Serve extension, <c>/v2</c> only): an http(s) URL the server POSTs the final body to when
    /// the request ends, signed with its webhook secret; check it with <see cref="Sam3Webhook.Verify(string, IEnumerable{KeyValuePair{string, string}}, string)"/>.
    /// </summary>
    public Uri? Webhook
    {
        get => _webhook;
        set
        {
            if (value is not null && (!value.IsAbsoluteUri || (value.Scheme != Uri.UriSchemeHttp && value.Scheme != Uri.UriSchemeHttps)))
            {
                throw new ArgumentException("webhook: must be an absolute http or https URL", "webhook");
            }
            _webhook = value;
        }
    }

    /// <summary>Sets <see cref="TextPrompt"/>.</summary>
    public Sam3Request WithTextPrompt(string textPrompt)
    {
        ArgumentNullException.ThrowIfNull(textPrompt, "text_prompt");
        TextPrompt = textPrompt;
        return this;
    }

    /// <summary>Sets <see cref="TextPrompts"/>.</summary>
    public Sam3Request WithTextPrompts(params IEnumerable<string> textPrompts)
    {
        ArgumentNullException.ThrowIfNull(textPrompts, "text_prompts");
        TextPrompts = textPrompts.ToArray();
        return this;
    }

    /// <summary>Sets <see cref="Points"/>, replacing any set before.</summary>
    public Sam3Request WithPoints(params IEnumerable<Sam3Point> points)
    {
        ArgumentNullException.ThrowIfNull(points, "points_input");
        Points = points.ToArray();
        return this;
    }

    /// <summary>Adds one point to <see cref="Points"/>.</summary>
    public Sam3Request WithPoint(double x, double y, Sam3PointLabel label = Sam3PointLabel.Foreground)
    {
        Points = [.. _points ?? [], new Sam3Point(x, y, label)];
        return this;
    }

    /// <summary>Sets <see cref="Boxes"/>, replacing any set before.</summary>
    public Sam3Request WithBoxes(params IEnumerable<Sam3Box> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes, "boxes_input");
        Boxes = boxes.ToArray();
        return this;
    }

    /// <summary>Adds one box to <see cref="Boxes"/>.</summary>
    public Sam3Request WithBox(double x1, double y1, double x2, double y2)
    {
        Boxes = [.. _boxes ?? [], new Sam3Box(x1, y1, x2, y2)];
        return this;
    }

    /// <summary>Adds one box with its <paramref name="label"/> to <see cref="Boxes"/>; <see cref="Sam3BoxLabel.Negative"/> is a negative exemplar.</summary>
    public Sam3Request WithBox(double x1, double y1, double x2, double y2, Sam3BoxLabel label)
    {
        Boxes = [.. _boxes ?? [], new Sam3Box(x1, y1, x2, y2, label)];
        return this;
    }

    /// <summary>Sets <see cref="BoxMode"/>.</summary>
    public Sam3Request WithBoxMode(Sam3BoxMode boxMode)
    {
        BoxMode = boxMode;
        return this;
    }

    /// <summary>Sets <see cref="Threshold"/>.</summary>
    public Sam3Request WithThreshold(double threshold)
    {
        Threshold = threshold;
        return this;
    }

    /// <summary>Sets <see cref="PointsPerSide"/>.</summary>
    public Sam3Request WithPointsPerSide(int pointsPerSide)
    {
        PointsPerSide = pointsPerSide;
        return this;
    }

    /// <summary>Sets <see cref="PredIouThresh"/>.</summary>
    public Sam3Request WithPredIouThresh(double predIouThresh)
    {
        PredIouThresh = predIouThresh;
        return this;
    }

    /// <summary>Sets <see cref="MaxMasks"/>.</summary>
    public Sam3Request WithMaxMasks(int maxMasks)
    {
        MaxMasks = maxMasks;
        return this;
    }

    /// <summary>Sets <see cref="ReturnPreview"/>.</summary>
    public Sam3Request WithPreview(bool returnPreview = true)
    {
        ReturnPreview = returnPreview;
        return this;
    }

    /// <summary>Sets <see cref="ReturnOverlay"/>.</summary>
    public Sam3Request WithOverlay(bool returnOverlay = true)
    {
        ReturnOverlay = returnOverlay;
        return this;
    }

    /// <summary>Asks for one mask per object (<see cref="ReturnMasks"/>), in <paramref name="format"/> when given.</summary>
    public Sam3Request WithMasks(Sam3MaskFormat? format = null)
    {
        ReturnMasks = true;
        if (format is not null)
        {
            MaskFormat = format;
        }
        return this;
    }

    /// <summary>Sets <see cref="ImageId"/>.</summary>
    public Sam3Request WithImageId(string imageId)
    {
        ArgumentNullException.ThrowIfNull(imageId, "image_id");
        ImageId = imageId;
        return this;
    }

    /// <summary>Sets <see cref="Webhook"/>.</summary>
    public Sam3Request WithWebhook(Uri webhook)
    {
        ArgumentNullException.ThrowIfNull(webhook, "webhook");
        Webhook = webhook;
        return this;
    }

    private static string[] CheckTextPrompts(IReadOnlyList<string> prompts)
    {
        if (prompts.Count == 0)
        {
            throw new ArgumentException("text_prompts: give at least one prompt, or leave the field unset", "text_prompts");
        }
        for (var i = 0; i < prompts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(prompts[i]))
            {
                throw new ArgumentException($"text_prompts: prompt {i} is empty", "text_prompts");
            }
        }
        return [.. prompts];
    }

    private static Sam3Point[] CheckPoints(IReadOnlyList<Sam3Point> points)
    {
        if (points.Count == 0)
        {
            throw new ArgumentException("points_input: give at least one point, or leave the field unset", "points_input");
        }
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y))
            {
                throw new ArgumentException($"points_input: point {i} has a coordinate that is not a finite number", "points_input");
            }
            if (!Enum.IsDefined(p.Label))
            {
                throw new ArgumentException($"point_labels_input: point {i} has label {(int)p.Label}; use 1 (foreground) or 0 (background)", "point_labels_input");
            }
        }
        return [.. points];
    }

    private static Sam3Box[] CheckBoxes(IReadOnlyList<Sam3Box> boxes)
    {
        if (boxes.Count == 0)
        {
            throw new ArgumentException("boxes_input: give at least one box, or leave the field unset", "boxes_input");
        }
        for (var i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            if (!double.IsFinite(b.X1) || !double.IsFinite(b.Y1) || !double.IsFinite(b.X2) || !double.IsFinite(b.Y2))
            {
                throw new ArgumentException($"boxes_input: box {i} has a coordinate that is not a finite number", "boxes_input");
            }
            if (!Enum.IsDefined(b.Label))
            {
                throw new ArgumentException($"box_labels_input: box {i} has label {(int)b.Label}; use 1 (positive) or 0 (negative exemplar)", "box_labels_input");
            }
        }
        return [.. boxes];
    }

    private static double? CheckFinite(double? value, string field)
    {
        if (value is { } v && !double.IsFinite(v))
        {
            throw new ArgumentException($"{field}: must be a finite number", field);
        }
        return value;
    }

    private static T? CheckDefined<T>(T? value, string field)
        where T : struct, Enum
    {
        if (value is { } v && !Enum.IsDefined(v))
        {
            throw new ArgumentOutOfRangeException(field, v, $"{field}: not a known value");
        }
        return value;
    }
}
