using Microsoft.Extensions.Options;

namespace Sam3Serve.Server;

/// <summary>What a process does: everything, HTTP only, or the model only.</summary>
public enum ServerRole
{
    /// <summary>HTTP API and model workers in one process.</summary>
    All,
    /// <summary>HTTP only; never loads the model (its /v1 requests go through the shared queue).</summary>
    Api,
    /// <summary>The model and the workers; serves only health and metrics.</summary>
    Worker,
}

/// <summary>Where jobs, results, keys and credits live.</summary>
public enum StoreKind
{
    /// <summary>The embedded store: one SQLite file and media files in the data dir, one server per data dir.</summary>
    Sqlite,
    /// <summary>The shared store: any number of API and worker processes on one Redis.</summary>
    Redis,
}

/// <summary>
/// Everything <c>sam3serve serve</c> takes besides the engine's own settings. The CLI binds it once from flags,
/// <c>SAM3SERVE_*</c> variables and the configuration file (in that order of precedence) through IConfiguration;
/// the host validates it at start (<see cref="ServerOptionsValidator"/>).
/// To add a setting: a property with its default here (and a range check in <see cref="Validate"/>), a row in the
/// CLI's settings catalogue (<c>Cli/Settings/SettingCatalog.cs</c>: flag, meaning), and a README row (a test fails
/// when a setting has no row or a row no setting).
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
    /// <summary>How long a finished request and its media are kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Credits charged per completed request.</summary>
    public decimal Price { get; set; } = 1;
    /// <summary>The most tiles (rows × cols) a request's <c>tiles</c> may ask for.</summary>
    public int MaxTiles { get; set; } = 16;
    /// <summary>Hosts (names or addresses) that image URLs may reach even though they are private.</summary>
    public List<string> AllowImageHost { get; set; } = [];
    /// <summary>Time allowed for fetching an image URL.</summary>
    public TimeSpan ImageFetchTimeout { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>
    /// Time before a /v1 request answers 504. Sized for a CPU: one new image is ~45 s of vision encoder plus the
    /// decoders, and a request may wait for one or two others ahead of it on the model.
    /// </summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>What this process does.</summary>
    public ServerRole Role { get; set; } = ServerRole.All;
    /// <summary>Which store backend.</summary>
    public StoreKind Store { get; set; } = StoreKind.Sqlite;
    /// <summary>Redis connection string, with Store = Redis.</summary>
    public string? Redis { get; set; }
    /// <summary>Largest request body in bytes (413 above it).</summary>
    public long MaxBodyBytes { get; set; } = 20L * 1024 * 1024;
    /// <summary>Largest decoded image in pixels (413 above it).</summary>
    public long MaxImagePixels { get; set; } = 50_000_000;
    /// <summary>How long a worker holds a job before another may take it over; renewed while it works.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How many times a job may be taken before it is failed as abandoned (worker crashes).</summary>
    public int MaxAttempts { get; set; } = 3;
    /// <summary>Time between retention sweeps.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a draining shutdown waits for in-flight work.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Webhook signing secret (<c>whsec_&lt;base64&gt;</c>); null = the stored one, generated on first start.</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Time a webhook receiver has to answer an attempt.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// Delay before each retry of a failed webhook; one attempt more than delays, then it is given up. The default
    /// makes 8 attempts over about 3 h 45 min, the first 5 within 13 minutes.
    /// </summary>
    public List<TimeSpan> WebhookRetryDelays { get; set; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2),
    ];
    /// <summary>Model slug served at /v1/{slug} and /v2/{slug}.</summary>
    public string ModelSlug { get; set; } = "sam3-image";

    /// <summary>True when this process loads the model and runs workers.</summary>
    public bool RunsModel => Role is ServerRole.All or ServerRole.Worker;

    /// <summary>True when this process serves the HTTP API.</summary>
    public bool ServesApi => Role is ServerRole.All or ServerRole.Api;

    /// <summary>Checks ranges; returns the problems found (empty when valid), each naming the flag.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Workers < 1) problems.Add("--workers must be at least 1");
        if (MaxQueue < 1) problems.Add("--max-queue must be at least 1");
        if (Retention <= TimeSpan.Zero) problems.Add("--retention must be positive");
        if (Price < 0) problems.Add("--price must not be negative");
        if (MaxTiles is < 1 or > 64) problems.Add("--max-tiles must be from 1 to 64");
        if (ImageFetchTimeout <= TimeSpan.Zero) problems.Add("--image-fetch-timeout must be positive");
        if (SyncTimeout <= TimeSpan.Zero) problems.Add("--sync-timeout must be positive");
        if (!Enum.IsDefined(Role)) problems.Add("--role must be all, api or worker");
        if (!Enum.IsDefined(Store)) problems.Add("--store must be sqlite or redis");
        if (Store == StoreKind.Redis && string.IsNullOrWhiteSpace(Redis)) problems.Add("--store redis needs --redis <connection string>");
        if (Store == StoreKind.Sqlite && Role != ServerRole.All) problems.Add("--role api and --role worker share work through Redis: use them with --store redis");
        if (PublicBaseUrl is not null && !Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out _)) problems.Add("--public-base-url must be an absolute URL");
        if (Lease <= TimeSpan.Zero) problems.Add("--lease-seconds must be positive");
        if (SweepInterval <= TimeSpan.Zero) problems.Add("--sweep-interval must be positive");
        if (MaxBodyBytes < 1) problems.Add("--max-body-bytes must be positive");
        if (MaxImagePixels < 1) problems.Add("--max-image-pixels must be positive");
        if (WebhookSecret is not null && Webhooks.WebhookSecret.TryDecode(WebhookSecret) is null)
        {
            problems.Add($"--webhook-secret must be whsec_ followed by the base64 of at least {Webhooks.WebhookSecret.MinKeyBytes} bytes");
        }
        if (WebhookTimeout <= TimeSpan.Zero) problems.Add("webhook timeout must be positive");
        if (WebhookRetryDelays.Count == 0 || WebhookRetryDelays.Any(d => d < TimeSpan.Zero)) problems.Add("webhook retry delays must be a non-empty list of durations");
        return problems;
    }
}

/// <summary>Runs <see cref="ServerOptions.Validate"/> for the options pattern, so a host refuses to start on bad settings.</summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
