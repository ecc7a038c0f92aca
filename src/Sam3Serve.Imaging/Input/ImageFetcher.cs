using System.Globalization;

namespace Sam3Serve.Imaging.Input;

/// <summary>
/// Fetches an image URL under the service's image URL rules: http(s) only; every hop's address checked against
/// the private-address guard and connected to exactly as checked (so a second DNS answer cannot swap it);
/// at most <see cref="ImageInputOptions.MaxRedirects"/> redirects; one time limit for the whole fetch;
/// the body size limited as it streams. Thread-safe; share one instance.
/// </summary>
public sealed class ImageFetcher : IDisposable
{
    private const int InitialBufferBytes = 64 * 1024;
    private const string Subject = "image URL";

    private readonly ImageInputOptions _options;
    private readonly TimeProvider _time;
    private readonly UrlGuard _guard;
    private readonly HttpClient _client;

    /// <summary>Creates a fetcher; <paramref name="time"/> drives the fetch timeout (the system clock by default).</summary>
    public ImageFetcher(ImageInputOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _guard = new UrlGuard(options.AllowedHosts);
        _client = new HttpClient(_guard.CreateHandler(options.FetchTimeout, Subject)) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Sam3Serve/1.0");
        _client.DefaultRequestHeaders.Accept.ParseAdd("image/*");
    }

    /// <summary>
    /// Downloads the image at <paramref name="url"/>. Throws <see cref="ImageInputException"/> (UrlRefused,
    /// UpstreamError, Timeout, TooLarge) for every failure that is the URL's fault, and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task<byte[]> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image URL must be absolute");
        }
        using var timeout = new CancellationTokenSource(_options.FetchTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await FetchFollowingRedirectsAsync(url, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                                  && e is OperationCanceledException or HttpRequestException or IOException)
        {
            var seconds = _options.FetchTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            throw new ImageInputException(ImageErrorKind.Timeout, $"image URL did not answer within {seconds} s", e);
        }
        catch (HttpRequestException e) when (Unwrap(e) is { } refusal)
        {
            throw refusal;
        }
        catch (HttpRequestException e)
        {
            throw new ImageInputException(ImageErrorKind.UpstreamError, $"image URL could not be fetched: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ImageInputException(ImageErrorKind.UpstreamError, $"image URL connection failed while reading: {e.Message}", e);
        }
    }

    /// <summary>
    /// Throws <see cref="ImageInputException"/> (UrlRefused) when <paramref name="url"/> is refused on its face,
    /// without any lookup (see <see cref="UrlGuard.CheckOnItsFace"/>): what /v2 checks at submit.
    /// </summary>
    public void CheckOnItsFace(Uri url) => _guard.CheckOnItsFace(url, Subject);

    /// <summary>The guard of this fetcher (its allow-list), for other URLs the service calls, such as webhooks.</summary>
    public UrlGuard Guard => _guard;

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    private async Task<byte[]> FetchFollowingRedirectsAsync(Uri url, CancellationToken ct)
    {
        var current = url;
        for (var redirects = 0; ; redirects++)
        {
            CheckScheme(current, redirects);
            // Names that stand for this machine or a metadata service are refused whatever DNS says.
            // (Address literals are judged when dialled, with the address in the message.)
            if (UrlGuard.ParseLiteral(AddressPolicy.NormalizeHost(current.IdnHost)) is null && _guard.RefusalOf(current.IdnHost) is { } refusal)
            {
                throw new ImageInputException(ImageErrorKind.UrlRefused, $"{Subject} host '{AddressPolicy.NormalizeHost(current.IdnHost)}' is {refusal}, refused");
            }
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.Location
                    ?? throw new ImageInputException(ImageErrorKind.UpstreamError, $"image URL answered {status} without a Location header");
                if (redirects >= _options.MaxRedirects)
                {
                    throw new ImageInputException(ImageErrorKind.UrlRefused,
                        $"image URL redirected more than {_options.MaxRedirects} times, refused");
                }
                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }
            if (status is < 200 or > 299)
            {
                throw new ImageInputException(ImageErrorKind.UpstreamError,
                    $"image URL answered {status} {response.ReasonPhrase}".TrimEnd());
            }
            return await ReadLimitedAsync(response.Content, ct).ConfigureAwait(false);
        }
    }

    private static void CheckScheme(Uri url, int redirects)
    {
        if (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
        {
            return;
        }
        throw new ImageInputException(ImageErrorKind.UrlRefused, redirects == 0
            ? $"image URL scheme '{url.Scheme}' is not allowed; use http or https"
            : $"image URL redirected to a '{url.Scheme}' URL; only http and https are allowed");
    }

    private async Task<byte[]> ReadLimitedAsync(HttpContent content, CancellationToken ct)
    {
        var max = _options.MaxImageBytes;
        var declared = content.Headers.ContentLength;
        if (declared > max)
        {
            throw new ImageInputException(ImageErrorKind.TooLarge,
                $"image at the URL is {declared} bytes, over the limit of {max}");
        }

        var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[(int)Math.Min(declared is > 0 ? declared.Value : InitialBufferBytes, max + 1)];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > max)
                    {
                        throw new ImageInputException(ImageErrorKind.TooLarge,
                            $"image at the URL is larger than the limit of {max} bytes");
                    }
                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, max + 1));
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
            if (length > max)
            {
                throw new ImageInputException(ImageErrorKind.TooLarge,
                    $"image at the URL is larger than the limit of {max} bytes");
            }
            if (length == 0)
            {
                throw new ImageInputException(ImageErrorKind.Invalid, "image URL answered with an empty body");
            }
            return length == buffer.Length ? buffer : buffer.AsSpan(0, length).ToArray();
        }
    }

    private static ImageInputException? Unwrap(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is ImageInputException found)
            {
                return found;
            }
        }
        return null;
    }
}
