namespace Sam3Serve.Client;

/// <summary>How each per-mask <c>mask</c> field is encoded (<c>mask_format</c>, a Sam3Serve extension).</summary>
public enum Sam3MaskFormat
{
    /// <summary><c>"png"</c>: one PNG image per mask (a media URL in v2, a data URI in v1).</summary>
    Png,
    /// <summary><c>"rle"</c>: COCO compressed RLE; decode with <see cref="Sam3Rle.Decode()"/>.</summary>
    Rle,
    /// <summary><c>"polygon"</c>: a list of rings, each a flat list of x, y pixel coordinates.</summary>
    Polygon,
}

/// <summary>How boxes are read when no points are given (<c>box_mode</c>, a Sam3Serve extension).</summary>
public enum Sam3BoxMode
{
    /// <summary><c>"exemplar"</c>: the boxes show the kind of object to find everywhere in the image.</summary>
    Exemplar,
    /// <summary><c>"object"</c>: each box is one object to cut out.</summary>
    Object,
}
