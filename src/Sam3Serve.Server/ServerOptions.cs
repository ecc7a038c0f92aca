namespace Sam3Serve.Server;

/// <summary>
/// Everything <c>sam3serve serve</c> takes (contract §7). The CLI fills it from flags, environment
/// variables (<c>SAM3SERVE_DATA_DIR</c>, ...) and a configuration file, in that order of precedence.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>Where to listen (semicolon-separated).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";
    /// <summary>SQLite store, media, generated first key.</summary>
    public string DataDir { get; set; } = "./data";
    /// <summary>The model bundle.</summary>
    public string ModelDir { get; set; } = "./models/sam3";
    /// <summary>Base of the absolute URLs in /v2 answers; null = the request's own scheme and host.</summary>
    public string? PublicBaseUrl { get; set; }
    /// <summary>Inference workers in this process.</summary>
    public int Workers { get; set; } = 1;
    /// <summary>Queued requests (v1 waiting + v2 pending) before 429.</summary>
    public int MaxQueue { get; set; } = 1000;
    /// <summary>Seconds a finished request and its media are kept.</summary>
    public double Retention { get; set; } = 3600;
    /// <summary>Credits charged per completed request.</summary>
    public decimal Price { get; set; } = 1;
    /// <summary>Hosts (names or addresses) that image URLs may reach even though they are private.</summary>
    public List<string> AllowImageHost { get; set; } = [];
    /// <summary>Seconds for fetching an image URL.</summary>
    public double ImageFetchTimeout { get; set; } = 15;
    /// <summary>Seconds before a /v1 request answers 504.</summary>
    public double SyncTimeout { get; set; } = 60;
    /// <summary>all, api or worker.</summary>
    public string Role { get; set; } = "all";
    /// <summary>sqlite or redis.</summary>
    public string Store { get; set; } = "sqlite";
    /// <summary>Redis connection string, with Store = redis.</summary>
    public string? Redis { get; set; }
    /// <summary>Largest request body in bytes (413 above it).</summary>
    public long MaxBodyBytes { get; set; } = 20L * 1024 * 1024;
    /// <summary>Largest decoded image in pixels (413 above it).</summary>
    public long MaxImagePixels { get; set; } = 50_000_000;
    /// <summary>Seconds a worker holds a job before another may take it over; renewed while it works.</summary>
    public double LeaseSeconds { get; set; } = 30;
    /// <summary>How many times a job may be taken before it is failed as abandoned (worker crashes).</summary>
    public int MaxAttempts { get; set; } = 3;
    /// <summary>Seconds between retention sweeps.</summary>
    public double SweepInterval { get; set; } = 30;
    /// <summary>Seconds a draining shutdown waits for in-flight work.</summary>
    public double ShutdownTimeout { get; set; } = 30;
    /// <summary>Webhook signing secret (<c>whsec_&lt;base64&gt;</c>); null = the stored one, generated on first start.</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Seconds a webhook receiver has to answer an attempt.</summary>
    public double WebhookTimeout { get; set; } = 10;
    /// <summary>
    /// Seconds before each retry of a failed webhook; one attempt more than delays, then it is given up. The
    /// default makes 8 attempts over about 3 h 45 min, the first 5 within 13 minutes (contract: ≥ 5 over ≥ 10 min).
    /// </summary>
    public List<double> WebhookRetryDelays { get; set; } = [5, 30, 120, 600, 1800, 3600, 7200];
    /// <summary>Model slug served at /v1/{slug} and /v2/{slug}.</summary>
    public string ModelSlug { get; set; } = "sam3-image";

    /// <summary>Checks ranges; returns the problems found (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Workers < 1) problems.Add("--workers must be at least 1");
        if (MaxQueue < 1) problems.Add("--max-queue must be at least 1");
        if (Retention <= 0) problems.Add("--retention must be positive");
        if (Price < 0) problems.Add("--price must not be negative");
        if (ImageFetchTimeout <= 0) problems.Add("--image-fetch-timeout must be positive");
        if (SyncTimeout <= 0) problems.Add("--sync-timeout must be positive");
        if (Role is not ("all" or "api" or "worker")) problems.Add("--role must be all, api or worker");
        if (Store is not ("sqlite" or "redis")) problems.Add("--store must be sqlite or redis");
        if (Store == "redis" && string.IsNullOrWhiteSpace(Redis)) problems.Add("--store redis needs --redis <connection string>");
        if (PublicBaseUrl is not null && !Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out _)) problems.Add("--public-base-url must be an absolute URL");
        if (WebhookSecret is not null && Webhooks.WebhookSecret.TryDecode(WebhookSecret) is null)
        {
            problems.Add($"--webhook-secret must be whsec_ followed by the base64 of at least {Webhooks.WebhookSecret.MinKeyBytes} bytes");
        }
        if (WebhookTimeout <= 0) problems.Add("webhook timeout must be positive");
        if (WebhookRetryDelays.Count == 0 || WebhookRetryDelays.Any(d => d < 0)) problems.Add("webhook retry delays must be a non-empty list of seconds");
        return problems;
    }
}
