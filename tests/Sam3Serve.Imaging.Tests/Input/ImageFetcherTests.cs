using System.Diagnostics;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Imaging.Tests.Support;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Input;

public sealed class ImageFetcherTests
{
    private static readonly byte[] Body = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 31))];

    private static ImageFetcher Fetcher(params string[] allowed) => new(new ImageInputOptions
    {
        AllowedHosts = allowed,
        FetchTimeout = TimeSpan.FromSeconds(10),
        MaxImageBytes = 10_000,
    });

    [Fact]
    public async Task FetchAsync_AllowedLoopbackServer_ReturnsBody()
    {
        await using var server = new TinyHttpServer(_ => TinyResponse.Ok(Body));
        using var fetcher = Fetcher("127.0.0.1");

        var bytes = await fetcher.FetchAsync(server.Url("/image.png"), TestContext.Current.CancellationToken);

        Assert.Equal(Body, bytes);
    }

    [Fact]
    public async Task FetchAsync_AllowedHostName_ResolvesAndConnects()
    {
        await using var server = new TinyHttpServer(_ => TinyResponse.Ok(Body));
        using var fetcher = Fetcher("localhost");

        var bytes = await fetcher.FetchAsync(new Uri($"http://localhost:{server.Port}/a.png"), TestContext.Current.CancellationToken);

        Assert.Equal(Body, bytes);
    }

    [Fact]
    public async Task FetchAsync_LoopbackWithoutAllowList_ThrowsUrlRefusedBeforeConnecting()
    {
        await using var server = new TinyHttpServer(_ => TinyResponse.Ok(Body));
        using var fetcher = Fetcher();

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/image.png"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.UrlRefused, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("image URL resolves to a loopback address (127.0.0.1), refused", error.Message);
        Assert.Equal(0, server.Requests);
    }

    [Theory]
    [InlineData("http://10.0.0.5/x.png", "private address (10.0.0.5)")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local address (169.254.169.254)")]
    [InlineData("http://[::1]:8080/x.png", "loopback address (::1)")]
    [InlineData("http://0.0.0.0/", "unspecified address (0.0.0.0)")]
    [InlineData("http://[::ffff:192.168.0.1]/", "private address")]
    [InlineData("https://100.64.1.1/", "carrier-grade NAT")]
    [InlineData("http://localhost:9/", "loopback address")]
    public async Task FetchAsync_PrivateTarget_ThrowsUrlRefused(string url, string expected)
    {
        using var fetcher = Fetcher();

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(new Uri(url), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.UrlRefused, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_RedirectToDisallowedLoopback_ThrowsUrlRefused()
    {
        await using var server = new TinyHttpServer(path => path == "/start"
            ? TinyResponse.Redirect("http://127.0.0.2:9/secret")
            : TinyResponse.Ok(Body));
        using var fetcher = Fetcher("127.0.0.1");

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/start"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.UrlRefused, error.Kind);
        Assert.Contains("127.0.0.2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_ThreeRedirects_Follows()
    {
        await using var server = new TinyHttpServer(Chain);
        using var fetcher = Fetcher("127.0.0.1");

        var bytes = await fetcher.FetchAsync(server.Url("/hop/3"), TestContext.Current.CancellationToken);

        Assert.Equal(Body, bytes);
        Assert.Equal(4, server.Requests);
    }

    [Fact]
    public async Task FetchAsync_FourRedirects_ThrowsUrlRefused()
    {
        await using var server = new TinyHttpServer(Chain);
        using var fetcher = Fetcher("127.0.0.1");

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/hop/4"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.UrlRefused, error.Kind);
        Assert.Contains("more than 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, server.Requests);
    }

    [Fact]
    public async Task FetchAsync_RedirectToFileScheme_ThrowsUrlRefused()
    {
        await using var server = new TinyHttpServer(_ => TinyResponse.Redirect("file:///etc/passwd"));
        using var fetcher = Fetcher("127.0.0.1");

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.UrlRefused, error.Kind);
        Assert.Contains("'file'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_NotFound_ThrowsUpstreamError502()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(404, "nope"u8.ToArray()));
        using var fetcher = Fetcher("127.0.0.1");

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/missing.png"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.UpstreamError, error.Kind);
        Assert.Equal(502, error.StatusCode);
        Assert.Equal("image URL answered 404 Not Found", error.Message);
    }

    [Fact]
    public async Task FetchAsync_ServerNeverAnswers_ThrowsTimeoutWithinLimit()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(200, []) { Hang = true });
        using var fetcher = new ImageFetcher(new ImageInputOptions
        {
            AllowedHosts = ["127.0.0.1"],
            FetchTimeout = TimeSpan.FromMilliseconds(400),
        });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/slow"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.Timeout, error.Kind);
        Assert.Equal(504, error.StatusCode);
        Assert.Equal("image URL did not answer within 0.4 s", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task FetchAsync_CallerCancels_ThrowsOperationCanceled()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(200, []) { Hang = true });
        using var fetcher = Fetcher("127.0.0.1");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher.FetchAsync(server.Url("/slow"), cancel.Token));
    }

    [Fact]
    public async Task FetchAsync_DeclaredLengthOverLimit_ThrowsTooLarge()
    {
        await using var server = new TinyHttpServer(_ => TinyResponse.Ok(new byte[10_001]));
        using var fetcher = Fetcher("127.0.0.1");

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/big.png"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.TooLarge, error.Kind);
        Assert.Equal(413, error.StatusCode);
        Assert.Contains("10001 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_UndeclaredBodyOverLimit_ThrowsTooLargeWhileStreaming()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(200, new byte[50_000]) { OmitContentLength = true });
        using var fetcher = Fetcher("127.0.0.1");

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(server.Url("/big.png"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.TooLarge, error.Kind);
        Assert.Contains("limit of 10000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_UndeclaredBodyUnderLimit_ReadsToEnd()
    {
        await using var server = new TinyHttpServer(_ => new TinyResponse(200, Body) { OmitContentLength = true });
        using var fetcher = Fetcher("127.0.0.1");

        var bytes = await fetcher.FetchAsync(server.Url("/a.png"), TestContext.Current.CancellationToken);

        Assert.Equal(Body, bytes);
    }

    [Fact]
    public async Task FetchAsync_NothingListening_ThrowsUpstreamError()
    {
        int port;
        await using (var server = new TinyHttpServer(_ => TinyResponse.Ok(Body)))
        {
            port = server.Port;
        }
        using var fetcher = Fetcher("127.0.0.1");

        var error = await Assert.ThrowsAsync<ImageInputException>(
            () => fetcher.FetchAsync(new Uri($"http://127.0.0.1:{port}/"), TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorKind.UpstreamError, error.Kind);
    }

    // /hop/n redirects to /hop/n-1 (relative Location); /hop/0 serves the body.
    private static TinyResponse Chain(string path)
    {
        var n = int.Parse(path["/hop/".Length..], System.Globalization.CultureInfo.InvariantCulture);
        return n == 0 ? TinyResponse.Ok(Body) : TinyResponse.Redirect($"/hop/{n - 1}");
    }
}
