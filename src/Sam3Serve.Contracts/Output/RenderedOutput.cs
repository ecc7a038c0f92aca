namespace Sam3Serve.Contracts.Output;

/// <summary>A PNG produced for a request: its media name (e.g. <c>preview.png</c>) and bytes.</summary>
public sealed record MediaFile(string Name, byte[] Content)
{
    /// <summary>Media type of every file the renderers produce.</summary>
    public const string ContentType = "image/png";
}

/// <summary>
/// The renderers' product: the output object, whose image fields name files in <see cref="Media"/>,
/// and those files.
/// </summary>
public sealed record RenderedOutput(OutputObject Output, IReadOnlyList<MediaFile> Media);
