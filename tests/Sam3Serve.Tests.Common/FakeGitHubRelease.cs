using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sam3Serve.Tests.Common;

/// <summary>
/// A loopback stand-in for a GitHub release: an "API" host answering
/// <c>GET /repos/{owner}/{repo}/releases/tags/{tag}</c> with the asset listing (name, size, state,
/// browser_download_url, digest), whose <c>browser_download_url</c>s answer 302 to a separate "objects" host that
/// serves the bytes with Range support, as github.com does. It can refuse the listing with GitHub's rate-limit answer,
/// drop a download halfway, and records every request.
/// </summary>
public sealed class FakeGitHubRelease : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private LoopbackWebServer? _api;
    private LoopbackWebServer? _objects;

    private FakeGitHubRelease(string owner, string repository, string tag)
    {
        Owner = owner;
        Repository = repository;
        Tag = tag;
    }

    /// <summary>Repository owner.</summary>
    public string Owner { get; }
    /// <summary>Repository name.</summary>
    public string Repository { get; }
    /// <summary>Release tag.</summary>
    public string Tag { get; }
    /// <summary>The release's files by name.</summary>
    public ConcurrentDictionary<string, byte[]> Assets { get; } = new(StringComparer.Ordinal);
    /// <summary>Digests listed instead of the true one ("sha256:…"), by asset name.</summary>
    public ConcurrentDictionary<string, string> DigestOverrides { get; } = new(StringComparer.Ordinal);
    /// <summary>Assets listed without a digest (uploaded before GitHub computed them).</summary>
    public ConcurrentBag<string> WithoutDigest { get; } = [];
    /// <summary>Assets whose next download is cut off after half the body.</summary>
    public ConcurrentBag<string> DropNextDownloadHalfway { get; } = [];
    /// <summary>Answer the listing with 403 and <c>x-ratelimit-remaining: 0</c>.</summary>
    public bool RateLimited { get; set; }
    /// <summary>The API root to pass as <c>--api-base</c>.</summary>
    public string ApiBase => _api!.BaseAddress.AbsoluteUri;
    /// <summary><c>owner/repo@tag</c>, as <c>--release</c> takes it.</summary>
    public string ReleaseSpec => $"{Owner}/{Repository}@{Tag}";
    /// <summary>Every request, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];
    /// <summary>Requests the objects host received for file bytes.</summary>
    public IReadOnlyList<RecordedRequest> Downloads => [.. _requests.Where(r => r.Host == "objects")];

    /// <summary>Starts both hosts.</summary>
    public static async Task<FakeGitHubRelease> StartAsync(string owner = "jamjamjon", string repository = "assets", string tag = "sam3")
    {
        var release = new FakeGitHubRelease(owner, repository, tag);
        release._objects = await LoopbackWebServer.StartAsync(app => app.Run(release.ServeObjectAsync));
        release._api = await LoopbackWebServer.StartAsync(app => app.Run(release.ServeApiAsync));
        return release;
    }

    /// <summary>Publishes the file at <paramref name="path"/> as the asset <paramref name="name"/>.</summary>
    public void AddFile(string name, string path) => Assets[name] = File.ReadAllBytes(path);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
        if (_objects is not null)
        {
            await _objects.DisposeAsync();
        }
    }

    private async Task ServeApiAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        _requests.Enqueue(new RecordedRequest("api", path, context.Request.Headers.Range.ToString(), context.Request.Headers.Authorization.ToString(), context.Request.Headers.UserAgent.ToString()));
        if (path == $"/repos/{Owner}/{Repository}/releases/tags/{Tag}")
        {
            if (RateLimited)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.Headers["x-ratelimit-limit"] = "60";
                context.Response.Headers["x-ratelimit-remaining"] = "0";
                context.Response.Headers["x-ratelimit-reset"] = DateTimeOffset.UtcNow.AddMinutes(17).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                await context.Response.WriteAsJsonAsync(new { message = "API rate limit exceeded for 127.0.0.1." });
                return;
            }
            await context.Response.WriteAsync(Listing().ToJsonString());
            return;
        }
        var download = $"/{Owner}/{Repository}/releases/download/{Tag}/";
        if (path.StartsWith(download, StringComparison.Ordinal) && Assets.ContainsKey(Uri.UnescapeDataString(path[download.Length..])))
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = _objects!.Url("/objects/" + path[download.Length..]);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        await context.Response.WriteAsJsonAsync(new { message = "Not Found" });
    }

    private JsonObject Listing()
    {
        var assets = new JsonArray();
        foreach (var (name, data) in Assets.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var digest = DigestOverrides.TryGetValue(name, out var forced) ? forced : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
            assets.Add(new JsonObject
            {
                ["name"] = name,
                ["size"] = data.Length,
                ["state"] = "uploaded",
                ["content_type"] = "application/octet-stream",
                ["browser_download_url"] = _api!.Url($"/{Owner}/{Repository}/releases/download/{Tag}/{Uri.EscapeDataString(name)}"),
                ["digest"] = WithoutDigest.Contains(name) ? null : digest,
            });
        }
        return new JsonObject { ["tag_name"] = Tag, ["name"] = Tag, ["assets"] = assets };
    }

    private async Task ServeObjectAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var range = context.Request.Headers.Range.ToString();
        _requests.Enqueue(new RecordedRequest("objects", path, range, context.Request.Headers.Authorization.ToString(), context.Request.Headers.UserAgent.ToString()));
        var name = path.StartsWith("/objects/", StringComparison.Ordinal) ? Uri.UnescapeDataString(path["/objects/".Length..]) : "";
        if (!Assets.TryGetValue(name, out var data))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        long from = 0;
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
            if (from >= data.Length)
            {
                context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                context.Response.Headers.ContentRange = $"bytes */{data.Length}";
                return;
            }
            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = $"bytes {from}-{data.Length - 1}/{data.Length}";
        }
        context.Response.ContentLength = data.Length - from;
        var body = data.AsMemory((int)from);
        if (TakeDrop(name))
        {
            await context.Response.Body.WriteAsync(body[..(body.Length / 2)]);
            await context.Response.Body.FlushAsync();
            // Let the client read the headers and the half body first: a reset that arrives with them can make the
            // peer's socket drop the unread bytes, and the cut would look like a refused request.
            await Task.Delay(300);
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(body);
    }

    private bool TakeDrop(string name)
    {
        var kept = new List<string>();
        var found = false;
        while (DropNextDownloadHalfway.TryTake(out var entry))
        {
            if (!found && entry == name)
            {
                found = true;
            }
            else
            {
                kept.Add(entry);
            }
        }
        foreach (var entry in kept)
        {
            DropNextDownloadHalfway.Add(entry);
        }
        return found;
    }
}

/// <summary>One request a <see cref="FakeGitHubRelease"/> host received.</summary>
/// <param name="Host">"api" or "objects".</param>
/// <param name="Path">Request path.</param>
/// <param name="Range">The Range header ("" when absent).</param>
/// <param name="Authorization">The Authorization header ("" when absent).</param>
/// <param name="UserAgent">The User-Agent header.</param>
public sealed record RecordedRequest(string Host, string Path, string Range, string Authorization, string UserAgent);
