using System.Text.RegularExpressions;

namespace Sam3Serve.Models.Sources;

/// <summary>Where a pull learns which files exist: a GitHub release's asset listing, or a plain mirror's manifest.json.</summary>
public abstract record BundleSource
{
    private protected BundleSource()
    {
    }

    /// <summary>The public usls release on the public GitHub API.</summary>
    public static GitHubRelease DefaultRelease { get; } = new("jamjamjon", "assets", "sam3", new Uri("https://api.github.com/"));

    /// <summary>
    /// Parses <c>owner/repo@tag</c> (null: the default release) with an optional API base (null: api.github.com).
    /// </summary>
    /// <exception cref="ArgumentException">Not of that form, or the API base is not an http(s) URL.</exception>
    public static GitHubRelease ParseRelease(string? spec, string? apiBase)
    {
        var release = DefaultRelease;
        if (!string.IsNullOrWhiteSpace(spec))
        {
            var match = Regex.Match(spec.Trim(), @"^([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)@([^\s/]+)$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (!match.Success)
            {
                throw new ArgumentException($"--release must be owner/repo@tag (e.g. jamjamjon/assets@sam3), got '{spec}'");
            }
            release = release with { Owner = match.Groups[1].Value, Repository = match.Groups[2].Value, Tag = match.Groups[3].Value };
        }
        if (!string.IsNullOrWhiteSpace(apiBase))
        {
            release = release with { ApiBase = HttpUrl(apiBase, "--api-base") };
        }
        return release;
    }

    /// <summary>A mirror at <paramref name="baseUrl"/>, which must serve manifest.json next to the files.</summary>
    public static Mirror ParseMirror(string baseUrl) => new(HttpUrl(baseUrl, "--base-url"));

    private static Uri HttpUrl(string text, string flag)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"{flag} must be an http(s) URL, got '{text}'");
        }
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}

/// <summary>A GitHub release, read through the REST API (<c>GET {api}/repos/{owner}/{repo}/releases/tags/{tag}</c>).</summary>
/// <param name="Owner">Repository owner.</param>
/// <param name="Repository">Repository name.</param>
/// <param name="Tag">Release tag.</param>
/// <param name="ApiBase">API root, ending in a slash.</param>
public sealed record GitHubRelease(string Owner, string Repository, string Tag, Uri ApiBase) : BundleSource
{
    /// <summary>The release-by-tag endpoint.</summary>
    public Uri ListingUrl => new(ApiBase, $"repos/{Uri.EscapeDataString(Owner)}/{Uri.EscapeDataString(Repository)}/releases/tags/{Uri.EscapeDataString(Tag)}");

    /// <inheritdoc />
    public override string ToString() => $"{Owner}/{Repository}@{Tag} ({ApiBase.AbsoluteUri.TrimEnd('/')})";
}

/// <summary>A plain HTTP folder holding the files and a manifest.json that lists them (a copy of an installed bundle folder).</summary>
/// <param name="BaseUrl">Folder URL, ending in a slash.</param>
public sealed record Mirror(Uri BaseUrl) : BundleSource
{
    /// <summary>The URL of a file in the folder.</summary>
    public Uri UrlFor(string name) => new(BaseUrl, Uri.EscapeDataString(name));

    /// <inheritdoc />
    public override string ToString() => $"mirror {BaseUrl.AbsoluteUri}";
}
