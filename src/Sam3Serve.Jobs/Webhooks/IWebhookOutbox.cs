namespace Sam3Serve.Jobs.Webhooks;

/// <summary>
/// The webhook outbox: a message is written by the same atomic step that ends its request
/// (<see cref="Queue.IJobStore.FinishAsync"/>, <see cref="Queue.IJobStore.CancelAsync"/>), so a request never
/// ends without its notification, and is then leased to one sender at a time like a job: a sender that
/// dies mid-delivery leaves the message to be taken again once its lease runs out, by this process after a
/// restart or by another one sharing the store. Delivery is therefore at least once. The job stores
/// implement it on the same database.
/// </summary>
public interface IWebhookOutbox
{
    /// <summary>
    /// Takes the oldest message that is due (never tried, or its retry time or lease has passed) for
    /// <paramref name="lease"/>; null when none is due.
    /// </summary>
    Task<LeasedWebhook?> LeaseNextWebhookAsync(TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a message that was delivered (or given up): false, changing nothing, when the lease was lost
    /// (another sender has it now).
    /// </summary>
    Task<bool> CompleteWebhookAsync(LeasedWebhook leased, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed attempt (attempts + 1, <paramref name="error"/>) and makes the message due again after
    /// <paramref name="delay"/>; false, changing nothing, when the lease was lost.
    /// </summary>
    Task<bool> RetryWebhookAsync(LeasedWebhook leased, TimeSpan delay, string error, CancellationToken cancellationToken);

    /// <summary>Messages not yet delivered nor given up.</summary>
    Task<int> CountPendingWebhooksAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The signing secret every process sharing this store uses: the stored one, or <paramref name="candidate"/>
    /// stored now when there is none (the first process to start decides).
    /// </summary>
    Task<string> GetOrCreateWebhookSecretAsync(string candidate, CancellationToken cancellationToken);
}

/// <summary>A notification to send when a request ends, written with the request's final state.</summary>
/// <param name="Id">The <c>webhook-id</c>: the request id plus an event id, the same in every retry.</param>
/// <param name="Url">Where to POST it.</param>
/// <param name="Body">The JSON body (what <c>GET /v2/requests/{id}</c> answered when the request ended).</param>
public sealed record WebhookMessage(string Id, string Url, string Body);

/// <summary>A stored notification as handed to a sender.</summary>
public sealed record WebhookRecord
{
    /// <summary>The <c>webhook-id</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The request it reports.</summary>
    public required string RequestId { get; init; }
    /// <summary>Where to POST it.</summary>
    public required string Url { get; init; }
    /// <summary>The JSON body.</summary>
    public required string Body { get; init; }
    /// <summary>When the request ended and the message was written.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Failed attempts so far (0 on the first try).</summary>
    public int Attempts { get; init; }
    /// <summary>Why the last attempt failed, if one did.</summary>
    public string? LastError { get; init; }
}

/// <summary>A message held by one sender until it completes, retries, or the lease runs out.</summary>
/// <param name="Message">The message as stored when leased.</param>
/// <param name="LeaseToken">Proves ownership; a stale sender's token no longer matches.</param>
public sealed record LeasedWebhook(WebhookRecord Message, string LeaseToken);
