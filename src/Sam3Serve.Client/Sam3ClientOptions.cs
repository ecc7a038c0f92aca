namespace Sam3Serve.Client;

/// <summary>Settings of a <see cref="Sam3Client"/>. Unset values fall back to environment variables, then to defaults.</summary>
public sealed class Sam3ClientOptions
{
    /// <summary>The base URL used when none is configured: <c>http://localhost:8080</c>.</summary>
    public const string DefaultBaseUrl = "http://localhost:8080";

    /// <summary>The model slug used when none is configured: <c>sam3-image</c>.</summary>
    public const string DefaultModel = "sam3-image";

    /// <summary>The first environment variable read for the key: <c>SAM3SERVE_API_KEY</c>.</summary>
    public const string ApiKeyVariable = "SAM3SERVE_API_KEY";

    /// <summary>The environment variable read for the key when <see cref="ApiKeyVariable"/> is unset: <c>SEGMIND_API_KEY</c>.</summary>
    public const string SegmindApiKeyVariable = "SEGMIND_API_KEY";

    /// <summary>The environment variable read for the base URL: <c>SAM3SERVE_BASE_URL</c>.</summary>
    public const string BaseUrlVariable = "SAM3SERVE_BASE_URL";

    /// <summary>The key sent as <c>x-api-key</c>; null reads <c>SAM3SERVE_API_KEY</c>, then <c>SEGMIND_API_KEY</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Where the API lives, e.g. <c>http://localhost:8080</c> or <c>https://api.segmind.com</c>. A trailing <c>/v1</c>
    /// (Segmind SDK style) is ignored. Null uses the HttpClient's BaseAddress, then <c>SAM3SERVE_BASE_URL</c>,
    /// then <see cref="DefaultBaseUrl"/>.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The model slug in the paths <c>/v1/{model}</c> and <c>/v2/{model}</c>.</summary>
    public string Model { get; set; } = DefaultModel;

    /// <summary>Tries per call, the first included, for 429, 502, 503 and 504 answers and connection failures; 1 turns retries off.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Backoff before the second try when the server sends no <c>Retry-After</c>; doubles per try, with jitter.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between tries; a <c>Retry-After</c> longer than this is not waited for and the error is raised.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one HTTP exchange, applied to HttpClients this SDK creates (not to one passed in).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long <see cref="Sam3Client.RunAsync(Sam3Request, CancellationToken)"/> waits for a v2 request: 600 s, as Segmind's SDK.</summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>Time between status polls in <see cref="Sam3Client.RunAsync(Sam3Request, CancellationToken)"/>: 1 s, as Segmind's SDK.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock for waits and backoff; tests may pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
