namespace Sam3Serve.Contracts.Inference;

/// <summary>One kept object: its score, box and lazily produced mask.</summary>
public sealed record DetectedObject
{
    /// <summary>Detection score (concept), or predicted IoU (interactive, automatic).</summary>
    public required float Score { get; init; }
    /// <summary>x1, y1, x2, y2 in pixels of the original image (may slightly exceed the image in concept mode).</summary>
    public required float[] Box { get; init; }
    /// <summary>Index into the request's text prompts (concept mode), else 0.</summary>
    public int PromptIndex { get; init; }
    /// <summary>The mask at the original size.</summary>
    public required IObjectMask Mask { get; init; }
    /// <summary>The tile whose pass found the object; null for the whole-image pass.</summary>
    public TilePosition? Tile { get; init; }
}

/// <summary>A tile of a request's grid, counted from the top left.</summary>
/// <param name="Row">Row, from 0.</param>
/// <param name="Col">Column, from 0.</param>
public readonly record struct TilePosition(int Row, int Col);

/// <summary>What the engine returns for one request: kept objects in output order, and where the time went.</summary>
public sealed record SegmentationResult
{
    /// <summary>Kept objects, already filtered and capped (max_masks), in the order they are reported.</summary>
    public required IReadOnlyList<DetectedObject> Objects { get; init; }
    /// <summary>Seconds per engine stage (e.g. preprocess, encoder, text, decoder, postprocess).</summary>
    public IReadOnlyDictionary<string, double> StageSeconds { get; init; } = new Dictionary<string, double>();
    /// <summary>Seconds spent in the model (the contract's <c>inference_time</c>).</summary>
    public double InferenceSeconds { get; init; }
    /// <summary>Passes of the image through the model: 1, plus one per tile when the request asked for tiles.</summary>
    public int ImagePasses { get; init; } = 1;
}
