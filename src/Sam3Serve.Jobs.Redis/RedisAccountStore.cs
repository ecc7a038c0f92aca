using Sam3Serve.Jobs.Accounts;
using StackExchange.Redis;

namespace Sam3Serve.Jobs.Redis;

/// <summary>
/// Keys, balances and rate windows in Redis, shared by every API process. Layout (P = key prefix):
/// <c>P key:&lt;id&gt;</c> hash (id, name, hash, prefix, credits and reserved in micro-credits, rpm,
/// disabled, created), <c>P keys:by-name</c> and <c>P keys:by-hash</c> hashes (name or SHA-256 → id),
/// <c>P rate:&lt;id&gt;</c> counter of the current minute window. The plain key is never stored.
/// </summary>
public sealed class RedisAccountStore : IAccountStore, IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;

    /// <summary>A store on a multiplexer that the caller shares and disposes.</summary>
    public RedisAccountStore(IConnectionMultiplexer redis, RedisOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _keys = new RedisKeys(options.KeyPrefix);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A store that connects with <paramref name="options"/> and closes the connection on dispose.</summary>
    public RedisAccountStore(RedisOptions options, TimeProvider? time = null)
        : this(RedisConnection.Connect(options), options, time)
    {
        _ownsConnection = true;
    }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public async Task<(ApiKeyRecord Record, string PlainKey)> CreateKeyAsync(string name, decimal? credits, int? requestsPerMinute, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        cancellationToken.ThrowIfCancellationRequested();
        var plain = ApiKeys.Generate();
        var hash = ApiKeys.Hash(plain);
        // Stored in whole milliseconds, so the returned record equals what a later read gives.
        var created = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
        var record = new ApiKeyRecord
        {
            Id = Guid.NewGuid().ToString("N"),
            Name = name,
            Prefix = ApiKeys.PrefixOf(plain),
            Credits = credits,
            RequestsPerMinute = requestsPerMinute,
            CreatedAt = created,
        };
        var result = await Db.ScriptEvaluateAsync(AccountScripts.Create,
            [_keys.ApiKey(record.Id), _keys.KeysByName, _keys.KeysByHash],
            [
                record.Id, name, hash, record.Prefix, created.ToUnixTimeMilliseconds(),
                credits is null ? 0 : 1, credits is { } c ? Micro.From(c) : 0,
                requestsPerMinute is null ? 0 : 1, requestsPerMinute ?? 0,
            ]);
        if ((int)result == 0)
        {
            throw new InvalidOperationException($"a key named '{name}' already exists");
        }
        return (record, plain);
    }

    /// <inheritdoc />
    public async Task<ApiKeyRecord?> FindByKeyAsync(string plainKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plainKey);
        cancellationToken.ThrowIfCancellationRequested();
        var id = await Db.HashGetAsync(_keys.KeysByHash, ApiKeys.Hash(plainKey));
        return id.IsNull ? null : await ReadAsync(id!);
    }

    /// <inheritdoc />
    public Task<ApiKeyRecord?> GetAsync(string keyId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ReadAsync(keyId);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var ids = await Db.HashValuesAsync(_keys.KeysByName);
        var records = await Task.WhenAll(ids.Select(id => ReadAsync(id!)));
        return records.OfType<ApiKeyRecord>().OrderBy(r => r.CreatedAt).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    /// <inheritdoc />
    public async Task<bool> RevokeAsync(string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var id = await Db.ScriptEvaluateAsync(AccountScripts.Revoke, [_keys.KeysByName], [_keys.Prefix + "key:", name]);
        return !id.IsNull;
    }

    /// <inheritdoc />
    public async Task<ApiKeyRecord?> AddCreditsAsync(string name, decimal amount, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var id = await Db.ScriptEvaluateAsync(AccountScripts.AddCredits, [_keys.KeysByName], [_keys.Prefix + "key:", name, Micro.From(amount)]);
        return id.IsNull ? null : await ReadAsync(id.ToString());
    }

    /// <inheritdoc />
    public async Task<ReservationResult> TryReserveAsync(string keyId, string holdId, decimal price, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var r = (RedisResult[])(await Db.ScriptEvaluateAsync(AccountScripts.Reserve, [_keys.ApiKey(keyId), _keys.Holds(keyId)], [Micro.From(price), holdId]))!;
        return new ReservationResult((int)r[0] == 1, (int)r[1] == 1 ? Micro.To((long)r[2]) : null);
    }

    /// <inheritdoc />
    public Task<decimal?> CommitAsync(string keyId, string holdId, CancellationToken cancellationToken) =>
        SettleAsync(keyId, holdId, charge: true, cancellationToken);

    /// <inheritdoc />
    public Task<decimal?> ReleaseAsync(string keyId, string holdId, CancellationToken cancellationToken) =>
        SettleAsync(keyId, holdId, charge: false, cancellationToken);

    /// <inheritdoc />
    public async Task<RateDecision> TryAcquireRateAsync(string keyId, int requestsPerMinute, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var r = (RedisResult[])(await Db.ScriptEvaluateAsync(AccountScripts.Rate, [_keys.Rate(keyId)]))!;
        if ((long)r[0] <= requestsPerMinute)
        {
            return new RateDecision(true, 0);
        }
        var retryAfter = (int)Math.Ceiling((long)r[1] / 1000.0);
        return new RateDecision(false, Math.Clamp(retryAfter, 1, 60));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsConnection)
        {
            _redis.Dispose();
        }
    }

    private async Task<decimal?> SettleAsync(string keyId, string holdId, bool charge, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var r = (RedisResult[])(await Db.ScriptEvaluateAsync(AccountScripts.Settle, [_keys.ApiKey(keyId), _keys.Holds(keyId)], [holdId, charge ? 1 : 0]))!;
        return (int)r[0] == 1 ? Micro.To((long)r[1]) : null;
    }

    private async Task<ApiKeyRecord?> ReadAsync(string id)
    {
        var fields = await Db.HashGetAllAsync(_keys.ApiKey(id));
        if (fields.Length == 0)
        {
            return null;
        }
        var f = fields.ToDictionary(e => e.Name.ToString(), e => e.Value);
        return new ApiKeyRecord
        {
            Id = f["id"]!,
            Name = f["name"]!,
            Prefix = f["prefix"]!,
            Credits = f.TryGetValue("credits", out var credits) ? Micro.To((long)credits) : null,
            Reserved = Micro.To((long)f["reserved"]),
            RequestsPerMinute = f.TryGetValue("rpm", out var rpm) ? (int)rpm : null,
            Disabled = (int)f["disabled"] != 0,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)f["created"]),
        };
    }
}
