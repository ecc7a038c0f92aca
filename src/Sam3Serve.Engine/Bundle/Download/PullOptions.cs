namespace Sam3Serve.Engine.Bundle.Download;

/// <summary>What <see cref="ModelDownloader.PullAsync"/> fetches, from where, and into which folder.</summary>
public sealed record PullOptions
{
    /// <summary>The public usls release that hosts the SAM 3 ONNX files (spec §2.1).</summary>
    public const string DefaultBaseUrl = "https://github.com/jamjamjon/assets/releases/download/sam3/";

    /// <summary>Precision variant: "fp32" (plain names) or a suffix such as "fp16", "q8", "q4f16".</summary>
    public string Variant { get; init; } = "fp32";

    /// <summary>The bundle folder the engine loads from.</summary>
    public string Directory { get; init; } = Path.Combine("models", "sam3");

    /// <summary>URL prefix each file name is appended to; a trailing slash is added when missing.</summary>
    public string BaseUrl { get; init; } = DefaultBaseUrl;

    /// <summary>
    /// Files to fetch; null means <see cref="BundleFiles.DefaultOnnxFiles"/> in <see cref="Variant"/> plus
    /// <see cref="BundleFiles.Vocabulary"/>.
    /// </summary>
    public IReadOnlyList<string>? Files { get; init; }

    /// <summary>
    /// Files whose absence on the server (HTTP 404) is reported in the result instead of failing the pull.
    /// Null means just <see cref="BundleFiles.Vocabulary"/>: the usls release ships tokenizer.json instead.
    /// </summary>
    public IReadOnlyCollection<string>? OptionalFiles { get; init; }

    /// <summary>
    /// sha256 (hex) pins per file name. When null, a <c>manifest.json</c> served next to the files is used if
    /// there is one (see <see cref="UseRemoteManifest"/>); files without a pin are only checked for size.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ExpectedSha256 { get; init; }

    /// <summary>Whether to look for <c>&lt;BaseUrl&gt;manifest.json</c> to pin hashes when none are given.</summary>
    public bool UseRemoteManifest { get; init; } = true;

    /// <summary>
    /// When the server has no <see cref="BundleFiles.Vocabulary"/>, fetch its <c>tokenizer.json</c> and recover the
    /// merges file from it (the usls release ships only the Hugging Face format).
    /// </summary>
    public bool DeriveVocabularyFromTokenizerJson { get; init; } = true;

    /// <summary>Attempts per file; a failed transfer is resumed from what was stored.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>A transfer that receives nothing for this long is aborted (and retried).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Pause before a retry, doubled on each further attempt.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    internal IReadOnlyList<string> ResolveFiles() =>
        Files ?? [.. BundleFiles.DefaultOnnxFiles.Select(f => BundleFiles.ForVariant(f, Variant)), BundleFiles.Vocabulary];

    internal IReadOnlyCollection<string> ResolveOptionalFiles() => OptionalFiles ?? [BundleFiles.Vocabulary];

    internal Uri UrlFor(string name) =>
        new(new Uri(BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/", UriKind.Absolute), Uri.EscapeDataString(name));
}
