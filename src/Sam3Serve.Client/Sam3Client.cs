using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Reflection;

namespace Sam3Serve.Client;

/// <summary>
/// Client of the sam3-image API, for Sam3Serve and Segmind alike: <c>POST /v1/{model}</c> (sync),
/// <c>POST /v2/{model}</c> with status polling (async), credits and result media. Thread-safe; keep one per
/// base address, or register it with <c>services.AddSam3Client(...)</c>.
/// </summary>
public sealed partial class Sam3Client : IDisposable
{
    private static readonly string UserAgent =
        $"Sam3Serve.Client/{typeof(Sam3Client).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0"}";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _apiKey;
    private readonly Sam3RetryPolicy _retry;
    private readonly TimeSpan _waitTimeout;
    private readonly TimeSpan _pollInterval;
    // Origins the key may be sent to when fetching media: the base address and the hosts of URLs the server gave us.
    private readonly ConcurrentDictionary<string, bool> _trustedOrigins = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A client with its own HttpClient, configured from the environment: the key from <c>SAM3SERVE_API_KEY</c>
    /// (then <c>SEGMIND_API_KEY</c>), the base address from <c>SAM3SERVE_BASE_URL</c>, else <c>http://localhost:8080</c>.
    /// </summary>
    public Sam3Client()
        : this(new Sam3ClientOptions())
    {
    }

    /// <summary>A client with its own HttpClient and <paramref name="apiKey"/>; the base address as in <see cref="Sam3Client()"/>.</summary>
    public Sam3Client(string apiKey)
        : this(new Sam3ClientOptions { ApiKey = apiKey })
    {
    }

    /// <summary>A client with its own HttpClient for the API at <paramref name="baseAddress"/> (a trailing <c>/v1</c> is ignored).</summary>
    public Sam3Client(string apiKey, Uri baseAddress)
        : this(new Sam3ClientOptions { ApiKey = apiKey, BaseAddress = baseAddress ?? throw new ArgumentNullException(nameof(baseAddress)) })
    {
    }

    /// <summary>A client with its own HttpClient, configured by <paramref name="options"/>.</summary>
    public Sam3Client(Sam3ClientOptions options)
        : this(CreateHttpClient(options), options, ownsHttp: true)
    {
    }

    /// <summary>A client over <paramref name="httpClient"/> (not disposed with the client); its BaseAddress is used when set.</summary>
    public Sam3Client(HttpClient httpClient)
        : this(httpClient, new Sam3ClientOptions())
    {
    }

    /// <summary>
    /// A client over <paramref name="httpClient"/> (not disposed with the client), e.g. one from IHttpClientFactory or
    /// a test server. <see cref="Sam3ClientOptions.BaseAddress"/> wins over the HttpClient's BaseAddress.
    /// </summary>
    public Sam3Client(HttpClient httpClient, Sam3ClientOptions options)
        : this(httpClient, options, ownsHttp: false)
    {
    }

    private Sam3Client(HttpClient httpClient, Sam3ClientOptions options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model, nameof(options.Model));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1, nameof(options.MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.PollInterval, TimeSpan.Zero, nameof(options.PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WaitTimeout, TimeSpan.Zero, nameof(options.WaitTimeout));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options.TimeProvider));

        _http = httpClient;
        _ownsHttp = ownsHttp;
        _apiKey = FirstNonEmpty(options.ApiKey, Env(Sam3ClientOptions.ApiKeyVariable), Env(Sam3ClientOptions.SegmindApiKeyVariable));
        BaseAddress = NormalizeBase(
            options.BaseAddress
            ?? httpClient.BaseAddress
            ?? (Env(Sam3ClientOptions.BaseUrlVariable) is { } env ? ParseBase(env) : null)
            ?? new Uri(Sam3ClientOptions.DefaultBaseUrl));
        Model = options.Model.Trim().Trim('/');
        _retry = new Sam3RetryPolicy(options.MaxAttempts, options.InitialRetryDelay, options.MaxRetryDelay, options.TimeProvider);
        _waitTimeout = options.WaitTimeout;
        _pollInterval = options.PollInterval;
        Trust(BaseAddress);
    }

    /// <summary>The base address every relative path is resolved against (always ends in '/').</summary>
    public Uri BaseAddress { get; }

    /// <summary>The model slug, <c>sam3-image</c> unless configured.</summary>
    public string Model { get; }

    /// <summary>Disposes the HttpClient when this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static HttpClient CreateHttpClient(Sam3ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new HttpClient { Timeout = options.RequestTimeout };
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static string? FirstNonEmpty(params ReadOnlySpan<string?> values)
    {
        foreach (var v in values)
        {
            if (!string.IsNullOrWhiteSpace(v))
            {
                return v.Trim();
            }
        }
        return null;
    }

    private static Uri ParseBase(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
            ? uri
            : throw new ArgumentException($"{Sam3ClientOptions.BaseUrlVariable} is not an absolute URL: '{text}'");

    // "https://api.segmind.com/v1" (the Python SDK's form) and "http://host:8080" both become "scheme://host[:port]/[prefix/]".
    private static Uri NormalizeBase(Uri baseAddress)
    {
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"the base address must be an absolute http or https URL, not '{baseAddress}'", nameof(baseAddress));
        }
        var path = baseAddress.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) || path.EndsWith("/v2", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^3];
        }
        return new UriBuilder(baseAddress) { Path = path + "/", Query = "", Fragment = "" }.Uri;
    }

    private void Trust(Uri url) => _trustedOrigins.TryAdd(url.GetLeftPart(UriPartial.Authority), true);

    private bool IsTrusted(Uri url) => _trustedOrigins.ContainsKey(url.GetLeftPart(UriPartial.Authority));

    private Uri Resolve(string relative) => new(BaseAddress, relative);

    private HttpRequestMessage CreateRequest(HttpMethod method, Uri url, byte[]? jsonBody, bool acceptJson, bool sendKey = true)
    {
        var request = new HttpRequestMessage(method, url);
        if (sendKey && _apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", _apiKey);
        }
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (acceptJson)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        }
        if (jsonBody is not null)
        {
            request.Content = new ByteArrayContent(jsonBody);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return request;
    }

    /// <summary>
    /// Sends a request built fresh for every try, retrying per <see cref="Sam3RetryPolicy"/>. Returns the last
    /// response, successful or not; the caller turns a failure into an exception.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, bool idempotent, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var request = create();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException error) when (attempt < _retry.MaxAttempts && Sam3RetryPolicy.IsRetryable(error, idempotent))
            {
                request.Dispose();
                await Task.Delay(_retry.NextDelay(attempt, null)!.Value, _retry.Time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (attempt >= _retry.MaxAttempts || !Sam3RetryPolicy.IsRetryable(response.StatusCode))
            {
                return response;
            }
            var delay = _retry.NextDelay(attempt, _retry.GetRetryAfter(response));
            if (delay is null)
            {
                return response;
            }
            response.Dispose();
            request.Dispose();
            await Task.Delay(delay.Value, _retry.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Sam3Exception> ErrorAsync(HttpResponseMessage response, string? knownRequestId, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return Sam3ExceptionFactory.FromResponse(response, body, _retry.GetRetryAfter(response), knownRequestId);
    }
}
