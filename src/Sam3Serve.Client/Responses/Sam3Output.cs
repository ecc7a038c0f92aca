namespace Sam3Serve.Client;

/// <summary>
/// The output object (contract 5.3). Image fields (<see cref="Preview"/>, <see cref="Overlay"/>, PNG masks) hold
/// an absolute media URL in v2 results and a <c>data:image/png;base64,</c> URI in v1 answers; read either
/// with <see cref="Sam3Client.GetMediaAsync(string, CancellationToken)"/>.
/// </summary>
public sealed class Sam3Output
{
    /// <summary><c>width</c> of the input image in pixels.</summary>
    public int Width { get; init; }

    /// <summary><c>height</c> of the input image in pixels.</summary>
    public int Height { get; init; }

    /// <summary><c>mode</c>: "concept", "interactive" or "automatic".</summary>
    public string Mode { get; init; } = "";

    /// <summary><c>preview</c>: single-channel PNG, each object painted with its index + 1; null when not asked for.</summary>
    public string? Preview { get; init; }

    /// <summary><c>overlay</c>: the input with each object tinted and outlined; null when not asked for.</summary>
    public string? Overlay { get; init; }

    /// <summary><c>masks</c>: every kept object with score, box and area.</summary>
    public IReadOnlyList<Sam3Mask> Masks { get; init; } = [];

    /// <summary><c>count</c>: how many objects were kept.</summary>
    public int Count { get; init; }
}

/// <summary>One kept object of the output object.</summary>
public sealed class Sam3Mask
{
    /// <summary><c>index</c>: position in the output; the preview paints this object with index + 1.</summary>
    public int Index { get; init; }

    /// <summary><c>score</c>: detection score (concept mode) or predicted IoU.</summary>
    public double Score { get; init; }

    /// <summary><c>box</c>: x1, y1, x2, y2 in pixels of the original image.</summary>
    public Sam3Box Box { get; init; }

    /// <summary><c>area</c>: pixels inside the mask.</summary>
    public long Area { get; init; }

    /// <summary><c>prompt_index</c>: which of the text prompts found this object (0 with a single prompt).</summary>
    public int PromptIndex { get; init; }

    /// <summary><c>tile</c> (Sam3Serve extension): the tile whose pass found the object, or null for the whole-image pass.</summary>
    public Sam3TilePosition? Tile { get; init; }

    /// <summary><c>mask</c>: present when <c>return_masks</c> was true.</summary>
    public Sam3MaskData? Mask { get; init; }
}

/// <summary>A tile of a request's grid (<c>"tile": [row, col]</c>), counted from the top left from 0.</summary>
/// <param name="Row">Row.</param>
/// <param name="Col">Column.</param>
public readonly record struct Sam3TilePosition(int Row, int Col);

/// <summary>Which encoding a per-mask <c>mask</c> field arrived in.</summary>
public enum Sam3MaskDataKind
{
    /// <summary>A PNG image: a media URL or a data URI.</summary>
    Image,
    /// <summary>COCO compressed RLE.</summary>
    Rle,
    /// <summary>Polygons: rings of x, y pixel coordinates.</summary>
    Polygons,
}

/// <summary>A per-mask <c>mask</c> field: exactly one of <see cref="Image"/>, <see cref="Rle"/> or <see cref="Polygons"/> is set.</summary>
public sealed class Sam3MaskData
{
    /// <summary>Which member holds the mask.</summary>
    public Sam3MaskDataKind Kind { get; init; }

    /// <summary>A media URL or data URI of a PNG mask (255 inside, 0 outside).</summary>
    public string? Image { get; init; }

    /// <summary>The mask in COCO compressed RLE; <see cref="Sam3Rle.Decode()"/> gives the pixels.</summary>
    public Sam3Rle? Rle { get; init; }

    /// <summary>Rings, each a flat list x0, y0, x1, y1, … in pixels of the original image.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? Polygons { get; init; }
}
