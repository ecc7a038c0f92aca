namespace Sam3Serve.Contracts.Requests;

/// <summary>Which SAM 3 path runs a request.</summary>
public enum SegmentationMode
{
    /// <summary>Text prompts and/or box exemplars: every instance of a concept.</summary>
    Concept,
    /// <summary>Points (and at most one box), or boxes with <c>box_mode: "object"</c>: one object each.</summary>
    Interactive,
    /// <summary>No prompt: a grid of point prompts ("segment everything").</summary>
    Automatic,
}

/// <summary>How boxes are read in a request without points.</summary>
public enum BoxMode
{
    /// <summary>Boxes show the kind of object to find everywhere (SAM 3 concept prompt).</summary>
    Exemplar,
    /// <summary>Each box is one object to cut out (SAM interactive prompt).</summary>
    Object,
}

/// <summary>How each per-mask <c>mask</c> field is written.</summary>
public enum MaskFormat
{
    /// <summary>A PNG image per mask.</summary>
    Png,
    /// <summary>COCO compressed RLE (<c>{"size": [h, w], "counts": "..."}</c>).</summary>
    Rle,
    /// <summary>Polygons: a list of rings, each a flat list of x, y pixel coordinates.</summary>
    Polygon,
}

/// <summary>A point prompt in pixels of the original image.</summary>
/// <param name="X">Column, pixels from the left edge.</param>
/// <param name="Y">Row, pixels from the top edge.</param>
/// <param name="Label">1 = foreground, 0 = background.</param>
public readonly record struct PointPrompt(float X, float Y, int Label);

/// <summary>A box prompt in pixels of the original image (x2 &gt; x1, y2 &gt; y1).</summary>
/// <param name="Positive">False for a negative exemplar (concept mode only).</param>
public readonly record struct BoxPrompt(float X1, float Y1, float X2, float Y2, bool Positive = true);

/// <summary>
/// How an image is cut into tiles for a closer look (the <c>tiles</c> field): <see cref="Auto"/>, or an explicit grid of
/// <see cref="Rows"/> × <see cref="Cols"/>. A request without tiles carries no <see cref="TileGrid"/> at all.
/// </summary>
public sealed record TileGrid
{
    /// <summary>True for <c>"auto"</c>: tiles only when the long side exceeds 2016 px, the fewest of at most ~1512 px a side.</summary>
    public bool Auto { get; init; }
    /// <summary>Rows of an explicit grid (1–8); 0 with <see cref="Auto"/>.</summary>
    public int Rows { get; init; }
    /// <summary>Columns of an explicit grid (1–8); 0 with <see cref="Auto"/>.</summary>
    public int Cols { get; init; }
    /// <summary>The most tiles an automatic grid may have (the server's <c>--max-tiles</c> when the request was accepted).</summary>
    public int MaxTiles { get; init; } = 16;
}

/// <summary>What the output object should carry besides scores, boxes and areas.</summary>
public sealed record OutputOptions
{
    /// <summary>Combined single-channel preview PNG.</summary>
    public bool ReturnPreview { get; init; } = true;
    /// <summary>Masks drawn over the input image.</summary>
    public bool ReturnOverlay { get; init; }
    /// <summary>One mask per object, in <see cref="MaskFormat"/>.</summary>
    public bool ReturnMasks { get; init; }
    /// <summary>Encoding of per-mask output.</summary>
    public MaskFormat MaskFormat { get; init; } = MaskFormat.Png;
}

/// <summary>
/// A request that passed validation: every field is in range and the mode is decided.
/// The engine reads the prompt fields; the renderers read <see cref="Output"/>.
/// </summary>
public sealed record SegmentationRequest
{
    /// <summary>The mode chosen from the fields: points (or boxes with box_mode "object") → interactive, else a text prompt or boxes → concept, else points_per_side &gt; 0 → automatic.</summary>
    public required SegmentationMode Mode { get; init; }
    /// <summary>Concept prompts in request order; the result's prompt index points into this list.</summary>
    public IReadOnlyList<string> TextPrompts { get; init; } = [];
    /// <summary>Interactive point prompts with their labels.</summary>
    public IReadOnlyList<PointPrompt> Points { get; init; } = [];
    /// <summary>Box prompts: exemplars in concept mode, objects in interactive mode.</summary>
    public IReadOnlyList<BoxPrompt> Boxes { get; init; } = [];
    /// <summary>How boxes are read when no points are given.</summary>
    public BoxMode BoxMode { get; init; } = BoxMode.Exemplar;
    /// <summary>Concept-mode score threshold; detections at or below it are dropped.</summary>
    public float Threshold { get; init; } = 0.5f;
    /// <summary>Automatic-mode grid density (points per side).</summary>
    public int PointsPerSide { get; init; } = 32;
    /// <summary>Automatic-mode predicted-IoU filter.</summary>
    public float PredIouThresh { get; init; } = 0.88f;
    /// <summary>Keep at most this many masks (highest scores); 0 = no limit.</summary>
    public int MaxMasks { get; init; }
    /// <summary>The client's name for the image, used as an image-feature cache key.</summary>
    public string? ImageId { get; init; }
    /// <summary>Tiles for a closer look at a large image; null = off (a single whole-image pass).</summary>
    public TileGrid? Tiles { get; init; }
    /// <summary>Fraction of a tile shared with its neighbour (0–0.5).</summary>
    public float TileOverlap { get; init; } = 0.2f;
    /// <summary>What the output object carries.</summary>
    public OutputOptions Output { get; init; } = new();
}
