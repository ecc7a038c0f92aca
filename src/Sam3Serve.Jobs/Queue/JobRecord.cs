namespace Sam3Serve.Jobs.Queue;

/// <summary>Where an asynchronous request stands.</summary>
public enum JobStatus
{
    /// <summary>Accepted and durable, waiting for a worker.</summary>
    Queued,
    /// <summary>Leased by a worker.</summary>
    Processing,
    /// <summary>Finished with an output object.</summary>
    Completed,
    /// <summary>Finished with an error.</summary>
    Failed,
}

/// <summary>What the API stores when it accepts a v2 request.</summary>
/// <param name="Id">The request id handed to the client.</param>
/// <param name="KeyId">The API key that submitted it (owner of the results, payer of the credits).</param>
/// <param name="RequestJson">The validated request, serialised by the server.</param>
/// <param name="ImageUrl">The image URL to fetch, when the image was given as a URL.</param>
/// <param name="InlineImage">The image bytes, when they came inline (base64 or upload).</param>
/// <param name="Price">Credits reserved at submit and charged on completion.</param>
public sealed record NewJob(string Id, string KeyId, string RequestJson, string? ImageUrl, byte[]? InlineImage, decimal Price)
{
    /// <summary>The URL notified when the request ends, or null.</summary>
    public string? Webhook { get; init; }

    /// <summary>The base of the absolute URLs in the request's bodies (for the webhook body), or null.</summary>
    public string? BaseUrl { get; init; }
}

/// <summary>A stored asynchronous request.</summary>
public sealed record JobRecord
{
    /// <summary>The request id.</summary>
    public required string Id { get; init; }
    /// <summary>The key that submitted it.</summary>
    public required string KeyId { get; init; }
    /// <summary>Current state.</summary>
    public required JobStatus Status { get; init; }
    /// <summary>The validated request as the server serialised it.</summary>
    public required string RequestJson { get; init; }
    /// <summary>The image URL, or null when the image came inline.</summary>
    public string? ImageUrl { get; init; }
    /// <summary>Credits reserved for this request.</summary>
    public decimal Price { get; init; }
    /// <summary>When the API accepted it.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When a worker first took it.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When it completed or failed.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>After this instant the request and its media are gone (404).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>The output object JSON (media referenced by file name), when completed.</summary>
    public string? OutputJson { get; init; }
    /// <summary>Why it failed, when failed.</summary>
    public string? Error { get; init; }
    /// <summary>The kind of failure and the status a client sees for it, when failed.</summary>
    public JobFailure? Failure { get; init; }
    /// <summary>The metrics object JSON; "{}" until the request ran.</summary>
    public string MetricsJson { get; init; } = "{}";
    /// <summary>The stage its worker last reported while PROCESSING (null before the first report).</summary>
    public string? Stage { get; init; }
    /// <summary>How many times a worker has taken it (more than one means a worker died or stalled).</summary>
    public int Attempts { get; init; }
    /// <summary>The URL notified when it ends, or null.</summary>
    public string? Webhook { get; init; }
    /// <summary>The base of the absolute URLs in its bodies, as given at submit, or null.</summary>
    public string? BaseUrl { get; init; }
}

/// <summary>A job handed to one worker until it completes, fails or the lease runs out.</summary>
/// <param name="Job">The job as stored when leased.</param>
/// <param name="LeaseToken">Proves ownership on complete/fail; a stale worker's token no longer matches.</param>
public sealed record LeasedJob(JobRecord Job, string LeaseToken);

/// <summary>How a finished job ended, for <see cref="IJobStore.FinishAsync"/>.</summary>
/// <param name="OutputJson">The output object (null when failed).</param>
/// <param name="Error">Why it failed (null when completed).</param>
/// <param name="MetricsJson">The metrics object.</param>
/// <param name="Media">Result images to keep with the request (empty when failed).</param>
public sealed record JobOutcome(string? OutputJson, string? Error, string MetricsJson, IReadOnlyList<Contracts.Output.MediaFile> Media)
{
    /// <summary>The notification to write with the outcome, for a job that has a webhook.</summary>
    public Webhooks.WebhookMessage? Webhook { get; init; }

    /// <summary>The kind of failure and its client-facing status (null when completed).</summary>
    public JobFailure? Failure { get; init; }

    /// <summary>True for COMPLETED, false for FAILED.</summary>
    public bool Succeeded => Error is null;
}
