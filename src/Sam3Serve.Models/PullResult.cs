using Sam3Serve.Engine.Bundle;
using Sam3Serve.Models.Planning;

namespace Sam3Serve.Models;

/// <summary>The outcome of a successful pull.</summary>
/// <param name="Directory">The bundle folder.</param>
/// <param name="Plan">What was planned (variants per role, notes on what the source lacks).</param>
/// <param name="Files">Files of this pull now installed, with size, sha256, role and variant (a derived vocabulary included).</param>
/// <param name="Downloaded">Names fetched in this pull (the rest were already installed and unchanged).</param>
public sealed record PullResult(
    string Directory,
    DownloadPlan Plan,
    IReadOnlyList<BundleManifestFile> Files,
    IReadOnlyList<string> Downloaded);
