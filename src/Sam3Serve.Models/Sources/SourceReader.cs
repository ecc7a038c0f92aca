using Sam3Serve.Engine.Bundle;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sam3Serve.Models.Sources;

/// <summary>
/// Reads what a <see cref="BundleSource"/> holds: a GitHub release's asset listing (name, size,
/// browser_download_url, digest) or a mirror's manifest.json. Every failure is a <see cref="ModelSourceException"/>
/// with one message for people.
/// </summary>
public static partial class SourceReader
{
    /// <summary>Reads the listing; <paramref name="token"/> (GITHUB_TOKEN) is sent to the GitHub API as a bearer token.</summary>
    public static Task<RemoteListing> ReadAsync(HttpClient http, BundleSource source, string? token, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        return source switch
        {
            GitHubRelease release => ReadReleaseAsync(http, release, token, timeout, ct),
            Mirror mirror => ReadMirrorAsync(http, mirror, timeout, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown source"),
        };
    }

    /// <summary>Lower-case hex of a GitHub <c>digest</c> ("sha256:…"); null for none.</summary>
    /// <exception cref="ModelSourceException">A digest that is not a sha256 of 64 hex digits.</exception>
    public static string? ParseDigest(string? digest, string assetName)
    {
        if (string.IsNullOrEmpty(digest))
        {
            return null;
        }
        var match = DigestPattern().Match(digest);
        if (!match.Success)
        {
            throw new ModelSourceException(ModelSourceProblem.Invalid,
                $"the listing gives {assetName} the digest '{digest}', which is not \"sha256:\" and 64 hex digits; the file cannot be verified");
        }
        return match.Groups[1].Value.ToLowerInvariant();
    }

    private static async Task<RemoteListing> ReadReleaseAsync(HttpClient http, GitHubRelease release, string? token, TimeSpan timeout, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, release.ListingUrl);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("sam3serve", "1.0"));
        if (!string.IsNullOrWhiteSpace(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        }
        var body = await SendAsync(http, request, $"the release listing of {release}", timeout, ct).ConfigureAwait(false);
        var (status, headers, text) = body;
        if (status == HttpStatusCode.OK)
        {
            return new RemoteListing(release, ParseRelease(text, release));
        }
        var detail = GitHubMessage(text);
        if (status is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests
            && (Header(headers, "x-ratelimit-remaining") == "0" || headers.RetryAfter is not null))
        {
            throw new ModelSourceException(ModelSourceProblem.RateLimited, RateLimitMessage(release, status, headers, token, detail));
        }
        throw status switch
        {
            HttpStatusCode.NotFound => new ModelSourceException(ModelSourceProblem.NotFound,
                $"{release.ListingUrl} answered 404: there is no release tagged '{release.Tag}' in {release.Owner}/{release.Repository} (or the repository is private{(token is null ? " and no GITHUB_TOKEN is set" : "")})"),
            HttpStatusCode.Unauthorized => new ModelSourceException(ModelSourceProblem.Refused,
                $"{release.ListingUrl} answered 401{detail}: the GITHUB_TOKEN in the environment was refused; unset it or use a valid token"),
            _ => new ModelSourceException(ModelSourceProblem.Refused, $"{release.ListingUrl} answered {(int)status} {status}{detail}"),
        };
    }

    private static async Task<RemoteListing> ReadMirrorAsync(HttpClient http, Mirror mirror, TimeSpan timeout, CancellationToken ct)
    {
        var url = mirror.UrlFor(BundleFiles.Manifest);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var (status, _, text) = await SendAsync(http, request, $"the mirror's {BundleFiles.Manifest}", timeout, ct).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound)
        {
            throw new ModelSourceException(ModelSourceProblem.NotFound,
                $"{url} answered 404: a mirror given with --base-url must serve {BundleFiles.Manifest} listing its files (copy an installed bundle folder, manifest included), or use --release for a GitHub release");
        }
        if (status != HttpStatusCode.OK)
        {
            throw new ModelSourceException(ModelSourceProblem.Refused, $"{url} answered {(int)status} {status}");
        }
        BundleManifest manifest;
        try
        {
            manifest = ManifestJson.Parse(text);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new ModelSourceException(ModelSourceProblem.Invalid, $"{url} is not a valid {BundleFiles.Manifest}: {e.Message}", e);
        }
        var assets = manifest.Files
            .Select(f => new RemoteAsset(f.Name, f.Size, mirror.UrlFor(f.Name), string.IsNullOrEmpty(f.Sha256) ? null : f.Sha256.Trim().ToLowerInvariant()))
            .ToList();
        return new RemoteListing(mirror, assets);
    }

    private static async Task<(HttpStatusCode Status, HttpResponseHeaders Headers, string Body)> SendAsync(
        HttpClient http, HttpRequestMessage request, string what, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, limit.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(limit.Token).ConfigureAwait(false);
            return (response.StatusCode, response.Headers, text);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new ModelSourceException(ModelSourceProblem.Unreachable,
                $"{request.RequestUri} did not answer within {timeout.TotalSeconds:0} s while reading {what}", e);
        }
        catch (HttpRequestException e)
        {
            throw new ModelSourceException(ModelSourceProblem.Unreachable,
                $"cannot reach {request.RequestUri!.GetLeftPart(UriPartial.Authority)} to read {what} ({e.Message}); is this machine offline?", e);
        }
    }

    private static List<RemoteAsset> ParseRelease(string json, GitHubRelease release)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("assets", out var assets) || assets.ValueKind != JsonValueKind.Array)
            {
                throw new ModelSourceException(ModelSourceProblem.Invalid, $"{release.ListingUrl} answered a release without an \"assets\" list");
            }
            var list = new List<RemoteAsset>();
            foreach (var asset in assets.EnumerateArray())
            {
                // An upload still in progress ("starter") has no usable bytes yet.
                if (asset.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.String && state.GetString() != "uploaded")
                {
                    continue;
                }
                var name = asset.GetProperty("name").GetString()!;
                var url = new Uri(asset.GetProperty("browser_download_url").GetString()!, UriKind.Absolute);
                long? size = asset.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : null;
                var digest = asset.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                list.Add(new RemoteAsset(name, size, url, ParseDigest(digest, name)));
            }
            return list;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or UriFormatException)
        {
            throw new ModelSourceException(ModelSourceProblem.Invalid, $"{release.ListingUrl} answered a listing that cannot be read: {e.Message}", e);
        }
    }

    private static string RateLimitMessage(GitHubRelease release, HttpStatusCode status, HttpResponseHeaders headers, string? token, string detail)
    {
        var limit = Header(headers, "x-ratelimit-limit");
        var when = "";
        if (long.TryParse(Header(headers, "x-ratelimit-reset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var reset))
        {
            var at = DateTimeOffset.FromUnixTimeSeconds(reset);
            var wait = at - DateTimeOffset.UtcNow;
            when = string.Create(CultureInfo.InvariantCulture, $"; it resets at {at:HH:mm} UTC (in {Math.Max(1, Math.Ceiling(wait.TotalMinutes)):0} min)");
        }
        else if (headers.RetryAfter?.Delta is { } delta)
        {
            when = string.Create(CultureInfo.InvariantCulture, $"; retry after {delta.TotalSeconds:0} s");
        }
        var remedy = token is null
            ? "set GITHUB_TOKEN to a GitHub token (any account's token raises the limit to 5,000 requests an hour), wait, or supply the files another way"
            : "the GITHUB_TOKEN in the environment has used up its limit too; wait, or supply the files another way";
        return $"the GitHub API rate limit is used up ({release.ListingUrl} answered {(int)status} with x-ratelimit-remaining: {Header(headers, "x-ratelimit-remaining") ?? "?"}{(limit is null ? "" : $", limit {limit} an hour")}{detail}){when}: {remedy}";
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string GitHubMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? $" \"{m.GetString()}\""
                : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    [GeneratedRegex("^sha256:([0-9a-fA-F]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();
}
