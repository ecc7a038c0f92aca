using Sam3Serve.Models.Planning;
using Sam3Serve.Models.Sources;

namespace Sam3Serve.Models;

/// <summary>What <see cref="ModelDownloader"/> pulls, from where, for which provider, into which folder.</summary>
public sealed record PullOptions
{
    /// <summary>The bundle folder the engine loads from.</summary>
    public string Directory { get; init; } = Path.Combine("models", "sam3");

    /// <summary>Where the listing comes from: a GitHub release (default: the usls release) or a mirror.</summary>
    public BundleSource Source { get; init; } = BundleSource.DefaultRelease;

    /// <summary>The provider the variants are chosen for: cpu, cuda or tensorrt (see <see cref="VariantOrder"/>).</summary>
    public string ExecutionProvider { get; init; } = "cpu";

    /// <summary>A variant to try first for every file ("fp16", "q8", ...); null applies the provider's order alone.</summary>
    public string? Variant { get; init; }

    /// <summary>Sent to the GitHub API as a bearer token (GITHUB_TOKEN), which raises its rate limit.</summary>
    public string? GitHubToken { get; init; }

    /// <summary>How long reading the listing may take before the source counts as unreachable.</summary>
    public TimeSpan ListingTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per file; a failed transfer is resumed from what was stored.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>A transfer that receives nothing for this long is aborted (and retried).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Pause before a retry, doubled on each further attempt.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The variant order this pull applies.</summary>
    public IReadOnlyList<string> Order => VariantOrder.For(ExecutionProvider, Variant);
}
