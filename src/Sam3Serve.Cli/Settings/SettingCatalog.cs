namespace Sam3Serve.Cli.Settings;

/// <summary>How a setting's text becomes a value.</summary>
public enum SettingKind
{
    /// <summary>Text, a number or an enum name, bound as is.</summary>
    Text,
    /// <summary>A number of seconds, bound to a <see cref="TimeSpan"/>.</summary>
    Seconds,
    /// <summary>A list of seconds (comma-separated in a variable, repeated flag, JSON array), bound to TimeSpans.</summary>
    SecondsList,
    /// <summary>A list of text (comma-separated in a variable, repeated flag, JSON array).</summary>
    List,
    /// <summary>true or false; the bare flag means true.</summary>
    Switch,
}

/// <summary>One operator setting: its flag (also its JSON key, and its variable SAM3SERVE_FLAG_NAME), where it binds, what it means.</summary>
/// <param name="Flag">The flag, with its dashes (<c>--data-dir</c>).</param>
/// <param name="Key">The configuration path it binds to (<c>Server:DataDir</c>).</param>
/// <param name="Kind">How its text is read.</param>
/// <param name="Description">One line for --help.</param>
public sealed record Setting(string Flag, string Key, SettingKind Kind, string Description)
{
    /// <summary>The key of the setting in the --config JSON file: the flag without dashes.</summary>
    public string FileKey => Flag.TrimStart('-');

    /// <summary>The environment variable: <c>--data-dir</c> → <c>SAM3SERVE_DATA_DIR</c>.</summary>
    public string Variable => "SAM3SERVE_" + FileKey.Replace('-', '_').ToUpperInvariant();
}

/// <summary>
/// Every setting of <c>serve</c> (and the store settings <c>keys</c> shares), in one list: the flags, the variables,
/// the JSON keys and the README's table all come from it. Sections: <c>Server</c> binds
/// <see cref="Sam3Serve.Server.ServerOptions"/>, <c>Engine</c> <see cref="Sam3Serve.Engine.EngineOptions"/>, <c>Host</c>
/// <see cref="HostSettings"/>.
/// </summary>
public static class SettingCatalog
{
    /// <summary>The settings of <c>serve</c>.</summary>
    public static IReadOnlyList<Setting> Serve { get; } =
    [
        new("--urls", "Server:Urls", SettingKind.Text, "Where to listen (semicolon-separated)"),
        new("--data-dir", "Server:DataDir", SettingKind.Text, "SQLite store, media, generated first key"),
        new("--model-dir", "Server:ModelDir", SettingKind.Text, "The model bundle"),
        new("--public-base-url", "Server:PublicBaseUrl", SettingKind.Text, "Base of the absolute URLs in /v2 answers (default: from the request)"),
        new("--workers", "Server:Workers", SettingKind.Text, "Inference workers in this process"),
        new("--max-queue", "Server:MaxQueue", SettingKind.Text, "Queued requests before 429"),
        new("--retention", "Server:Retention", SettingKind.Seconds, "Seconds a finished request and its media are kept"),
        new("--price", "Server:Price", SettingKind.Text, "Credits charged per completed request"),
        new("--max-tiles", "Server:MaxTiles", SettingKind.Text, "The most tiles (rows x cols) a request may ask for"),
        new("--allow-image-host", "Server:AllowImageHost", SettingKind.List, "A private host or address image URLs may reach (repeatable)"),
        new("--image-fetch-timeout", "Server:ImageFetchTimeout", SettingKind.Seconds, "Seconds for fetching an image URL"),
        new("--sync-timeout", "Server:SyncTimeout", SettingKind.Seconds, "Seconds before a /v1 request answers 504"),
        new("--role", "Server:Role", SettingKind.Text, "all, api or worker"),
        new("--store", "Server:Store", SettingKind.Text, "sqlite or redis"),
        new("--redis", "Server:Redis", SettingKind.Text, "Redis connection string, with --store redis"),
        new("--max-body-bytes", "Server:MaxBodyBytes", SettingKind.Text, "Largest request body"),
        new("--max-image-pixels", "Server:MaxImagePixels", SettingKind.Text, "Largest decoded image in pixels"),
        new("--lease-seconds", "Server:Lease", SettingKind.Seconds, "Seconds a worker holds a job before another may take it over"),
        new("--max-attempts", "Server:MaxAttempts", SettingKind.Text, "Times a job may be taken before it is failed as abandoned"),
        new("--sweep-interval", "Server:SweepInterval", SettingKind.Seconds, "Seconds between retention sweeps"),
        new("--shutdown-timeout", "Server:ShutdownTimeout", SettingKind.Seconds, "Seconds a draining shutdown waits for work in hand"),
        new("--webhook-secret", "Server:WebhookSecret", SettingKind.Text, "whsec_<base64> key of the webhook signatures (default: generated on first start)"),
        new("--webhook-timeout", "Server:WebhookTimeout", SettingKind.Seconds, "Seconds a webhook receiver has to answer"),
        new("--webhook-retry-delays", "Server:WebhookRetryDelays", SettingKind.SecondsList, "Seconds before each webhook retry (comma-separated in the variable)"),
        new("--model-slug", "Server:ModelSlug", SettingKind.Text, "The model name served at /v1/{slug} and /v2/{slug}"),
        new("--variant", "Engine:Variant", SettingKind.Text, "Model precision variant (fp32, fp16, q8, ...; default: per execution provider)"),
        new("--execution-provider", "Engine:ExecutionProvider", SettingKind.Text, "cpu, cuda or tensorrt"),
        new("--device-id", "Engine:DeviceId", SettingKind.Text, "GPU ordinal for cuda/tensorrt"),
        new("--threads", "Engine:IntraOpThreads", SettingKind.Text, "ONNX Runtime intra-op threads (0: all cores)"),
        new("--inter-op-threads", "Engine:InterOpThreads", SettingKind.Text, "ONNX Runtime inter-op threads (0: ONNX Runtime decides)"),
        new("--graph-optimization", "Engine:GraphOptimizationLevel", SettingKind.Text, "disable, basic, extended or all"),
        new("--concurrent-runs", "Engine:ConcurrentRuns", SettingKind.Text, "Model runs at once in this process, all workers together"),
        new("--image-cache-bytes", "Engine:ImageCacheBytes", SettingKind.Text, "Upper bound of the image-feature cache"),
        new("--text-cache-bytes", "Engine:TextCacheBytes", SettingKind.Text, "Upper bound of the text-feature cache"),
        new("--share-trunk", "Engine:ShareTrunk", SettingKind.Switch, "Run the ViT trunk once per image for both paths when the encoders share it"),
        new("--decoder-object-batch", "Engine:DecoderObjectBatch", SettingKind.Text, "Most objects in one tracker decoder run (0: the default)"),
        new("--release-memory-after-runs", "Engine:ReleaseMemoryAfterRuns", SettingKind.Switch, "Give freed model memory back to the system after every run"),
        new("--warm-up", "Engine:WarmUp", SettingKind.Switch, "Warm the decoders and text encoder at start"),
        new("--self-check", "Engine:SelfCheck", SettingKind.Switch, "Refuse to serve when a decoder answers the same input differently twice"),
        new("--offline", "Host:Offline", SettingKind.Switch, "Never download the model; fail if it is missing"),
        new("--model-base-url", "Host:ModelBaseUrl", SettingKind.Text, "Download a missing model from this mirror instead of a release"),
        new("--release", "Host:Release", SettingKind.Text, "The GitHub release a missing model is downloaded from, owner/repo@tag"),
        new("--api-base", "Host:ApiBase", SettingKind.Text, "The GitHub API root for --release"),
        new("--log-format", "Host:LogFormat", SettingKind.Text, "simple or json"),
    ];

    /// <summary>The settings <c>keys</c> reads: where the store is, resolved exactly as <c>serve</c> resolves it.</summary>
    public static IReadOnlyList<Setting> Store { get; } =
        [.. Serve.Where(s => s.Flag is "--data-dir" or "--store" or "--redis")];
}

/// <summary>How the log lines are written.</summary>
public enum LogFormat
{
    /// <summary>One line per entry, with a UTC timestamp and scopes.</summary>
    Simple,
    /// <summary>Structured JSON, the request id in every line's scope.</summary>
    Json,
}

/// <summary>The settings of the serve command itself: the model source and the log format.</summary>
public sealed class HostSettings
{
    /// <summary>Never download the model.</summary>
    public bool Offline { get; set; }
    /// <summary>A mirror (files + manifest.json) to download a missing model from.</summary>
    public string? ModelBaseUrl { get; set; }
    /// <summary>owner/repo@tag of the release a missing model comes from.</summary>
    public string? Release { get; set; }
    /// <summary>The GitHub API root for <see cref="Release"/>.</summary>
    public string? ApiBase { get; set; }
    /// <summary>How log lines are written.</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Simple;
}
