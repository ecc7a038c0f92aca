namespace Sam3Serve.Engine.Bundle.Download;

/// <summary>The outcome of a successful pull.</summary>
/// <param name="Directory">The bundle folder.</param>
/// <param name="Variant">The variant pulled.</param>
/// <param name="Files">Files of this pull now installed, with size and sha256.</param>
/// <param name="Downloaded">Names fetched in this pull (the rest were already installed and unchanged).</param>
/// <param name="NotOnServer">Optional files the server does not have, each with an explanation of what to do.</param>
/// <param name="VocabularyFromTokenizerJson">The CLIP merges file was recovered from the server's tokenizer.json.</param>
public sealed record PullResult(
    string Directory,
    string Variant,
    IReadOnlyList<BundleManifestFile> Files,
    IReadOnlyList<string> Downloaded,
    IReadOnlyDictionary<string, string> NotOnServer,
    bool VocabularyFromTokenizerJson);
