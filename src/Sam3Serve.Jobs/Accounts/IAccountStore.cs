namespace Sam3Serve.Jobs.Accounts;

/// <summary>An API key as stored: never the key itself, only its hash.</summary>
public sealed record ApiKeyRecord
{
    /// <summary>Stable id, used as the owner of jobs.</summary>
    public required string Id { get; init; }
    /// <summary>The operator's name for the key (unique).</summary>
    public required string Name { get; init; }
    /// <summary>The first characters of the key, to tell keys apart in listings.</summary>
    public required string Prefix { get; init; }
    /// <summary>Credit balance, or null for unlimited.</summary>
    public decimal? Credits { get; init; }
    /// <summary>Credits held by accepted requests that have not finished yet.</summary>
    public decimal Reserved { get; init; }
    /// <summary>Requests per minute, or null for no limit.</summary>
    public int? RequestsPerMinute { get; init; }
    /// <summary>A revoked key authenticates but is refused (403).</summary>
    public bool Disabled { get; init; }
    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>What the caller may still spend: balance minus reservations, or null for unlimited.</summary>
    public decimal? Available => Credits is { } c ? c - Reserved : null;
}

/// <summary>The answer to a rate-limit check.</summary>
/// <param name="Allowed">True when the request may go on.</param>
/// <param name="RetryAfterSeconds">When refused, how long until the window frees a slot.</param>
public readonly record struct RateDecision(bool Allowed, int RetryAfterSeconds);

/// <summary>The answer to a credit reservation.</summary>
/// <param name="Reserved">True when the credits are now held for the request.</param>
/// <param name="Available">What the key may still spend after the call (null = unlimited).</param>
public readonly record struct ReservationResult(bool Reserved, decimal? Available);

/// <summary>
/// Keys, balances and per-key limits. Every balance change is atomic in the store, so concurrent
/// requests (and processes) can never overspend.
/// </summary>
public interface IAccountStore
{
    /// <summary>Creates a key; returns the record and the plain key, which is never stored.</summary>
    Task<(ApiKeyRecord Record, string PlainKey)> CreateKeyAsync(string name, decimal? credits, int? requestsPerMinute, CancellationToken cancellationToken);

    /// <summary>Finds the key whose hash matches, or null.</summary>
    Task<ApiKeyRecord?> FindByKeyAsync(string plainKey, CancellationToken cancellationToken);

    /// <summary>A key by id, or null.</summary>
    Task<ApiKeyRecord?> GetAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>All keys, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Disables a key by name; false when there is no such key.</summary>
    Task<bool> RevokeAsync(string name, CancellationToken cancellationToken);

    /// <summary>Adds credits (a key with unlimited credits gets a balance); returns the new record, or null when unknown.</summary>
    Task<ApiKeyRecord?> AddCreditsAsync(string name, decimal amount, CancellationToken cancellationToken);

    /// <summary>
    /// Holds <paramref name="price"/> credits for request <paramref name="holdId"/>, unless that would take the
    /// available balance below zero. Idempotent per hold id: repeating a call whose answer was lost (a store
    /// restart) never holds twice.
    /// </summary>
    Task<ReservationResult> TryReserveAsync(string keyId, string holdId, decimal price, CancellationToken cancellationToken);

    /// <summary>Charges the hold of a completed request; a hold already settled (or unknown) changes nothing.</summary>
    Task<decimal?> CommitAsync(string keyId, string holdId, CancellationToken cancellationToken);

    /// <summary>Returns the hold of a failed or refused request; a hold already settled (or unknown) changes nothing.</summary>
    Task<decimal?> ReleaseAsync(string keyId, string holdId, CancellationToken cancellationToken);

    /// <summary>Counts one request against the key's per-minute limit.</summary>
    Task<RateDecision> TryAcquireRateAsync(string keyId, int requestsPerMinute, CancellationToken cancellationToken);
}
