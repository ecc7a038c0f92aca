using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Sam3Serve.Server.Tests.Infrastructure;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>
/// GET / and its files as HTTP resources. What the page does in a browser is tested by the
/// Chromium tests of src/Sam3Serve.Playground (browser-tests/), which ./test.sh runs after these.
/// </summary>
public sealed partial class PlaygroundTests
{
    [Fact]
    public async Task GetRoot_ServesThePageWithEveryTestIdAndOnlyItsOwnFiles()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client(key: "");
        var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        var script = await client.GetStringAsync("/playground/app.js");
        foreach (var id in new[] { "api-key", "image-file", "image-url", "text-prompt", "mode", "run", "overlay", "mask-list", "snippet-curl", "snippet-python", "snippet-csharp", "status", "error" })
        {
            Assert.Contains($"data-testid=\"{id}\"", html);
        }
        // Mask items are made by the script.
        Assert.Contains("mask-item", script);
        var linked = LinkedFiles().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.Contains("/playground/app.js", linked);
        Assert.Contains("/playground/style.css", linked);
        Assert.All(linked, url => Assert.True(url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal), $"{url} is not on this server"));
        foreach (var url in linked.Where(u => u.StartsWith('/')))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode);
        }
    }

    [Fact]
    public async Task GetAsset_Revalidates_AndCompressesWhenAsked()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client(key: "");
        var plain = await client.GetAsync("/playground/app.js");
        Assert.Equal("text/javascript", plain.Content.Headers.ContentType!.MediaType);
        var bytes = await plain.Content.ReadAsByteArrayAsync();
        var etag = plain.Headers.ETag!;

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/playground/app.js");
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);

        using var compressed = new HttpRequestMessage(HttpMethod.Get, "/playground/app.js");
        compressed.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        var gzipped = await client.SendAsync(compressed);
        Assert.Equal("gzip", gzipped.Content.Headers.ContentEncoding.Single());
        await using var unzip = new GZipStream(await gzipped.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        await unzip.CopyToAsync(inflated);
        Assert.Equal(bytes, inflated.ToArray());
        Assert.True(gzipped.Content.Headers.ContentLength < bytes.Length);
    }

    [Fact]
    public async Task GetAsset_Unknown_Answers404InTheContractShape()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client(key: "");
        await HttpAssert.ErrorAsync(await client.GetAsync("/playground/secrets.txt"), HttpStatusCode.NotFound, "no file");
        await HttpAssert.ErrorAsync(await client.GetAsync("/playground/index.html"), HttpStatusCode.NotFound, "no file");
    }

    [Fact]
    public async Task OpenApi_DescribesThePlayground()
    {
        await using var service = await ServiceFixture.StartAsync();
        using var client = service.Client();
        var doc = await HttpAssert.JsonAsync(await client.GetAsync("/openapi/v1.json"));
        Assert.True(doc["paths"]!.AsObject().ContainsKey("/"));
    }

    [GeneratedRegex("""(?:src|href)="(?<url>[^"]+)""")]
    private static partial Regex LinkedFiles();
}
