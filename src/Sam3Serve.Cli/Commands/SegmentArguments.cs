namespace Sam3Serve.Cli.Commands;

/// <summary>What <c>segment</c> read from the command line, for either path.</summary>
internal sealed record SegmentArguments
{
    public required string Image { get; init; }
    public required string[] TextPrompts { get; init; }
    public string? Points { get; init; }
    public string? Labels { get; init; }
    public string? Boxes { get; init; }
    public string? BoxLabels { get; init; }
    public string? BoxMode { get; init; }
    public double? Threshold { get; init; }
    public int? PointsPerSide { get; init; }
    public double? PredIouThresh { get; init; }
    public int? MaxMasks { get; init; }
    public string? Tiles { get; init; }
    public double? TileOverlap { get; init; }
    public bool Masks { get; init; }
    public bool Overlay { get; init; }
    public string? MaskFormat { get; init; }
    public string? OutputDir { get; init; }
    public bool Json { get; init; }

    // In-process only.
    public required string ModelDir { get; init; }
    public string? Variant { get; init; }
    public required string ExecutionProvider { get; init; }

    // --server only.
    public string? Server { get; init; }
    public string? Key { get; init; }
    public TimeSpan Timeout { get; init; }
}
