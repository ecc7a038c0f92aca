using Microsoft.Data.Sqlite;
using Sam3Serve.Jobs.Accounts;

namespace Sam3Serve.Jobs.Sqlite;

/// <summary>Keys, balances and rate windows in the embedded SQLite database.</summary>
public sealed class SqliteAccountStore(SqliteDatabase database, TimeProvider? time = null) : IAccountStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public Task<(ApiKeyRecord Record, string PlainKey)> CreateKeyAsync(string name, decimal? credits, int? requestsPerMinute, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var plain = ApiKeys.Generate();
        var record = new ApiKeyRecord
        {
            Id = Guid.NewGuid().ToString("N"),
            Name = name,
            Prefix = ApiKeys.PrefixOf(plain),
            Credits = credits,
            RequestsPerMinute = requestsPerMinute,
            CreatedAt = _time.GetUtcNow(),
        };
        using var connection = database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO api_keys (id, name, key_hash, prefix, credits_micro, rpm, created_at)
            VALUES ($id, $name, $hash, $prefix, $credits, $rpm, $created)
            """;
        command.Parameters.AddWithValue("$id", record.Id);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$hash", ApiKeys.Hash(plain));
        command.Parameters.AddWithValue("$prefix", record.Prefix);
        command.Parameters.AddWithValue("$credits", credits is { } c ? Micro.From(c) : DBNull.Value);
        command.Parameters.AddWithValue("$rpm", requestsPerMinute is { } r ? r : DBNull.Value);
        command.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new InvalidOperationException($"a key named '{name}' already exists", e);
        }
        return Task.FromResult((record, plain));
    }

    /// <inheritdoc />
    public Task<ApiKeyRecord?> FindByKeyAsync(string plainKey, CancellationToken cancellationToken) =>
        Task.FromResult(QueryOne("key_hash = $v", ApiKeys.Hash(plainKey)));

    /// <inheritdoc />
    public Task<ApiKeyRecord?> GetAsync(string keyId, CancellationToken cancellationToken) =>
        Task.FromResult(QueryOne("id = $v", keyId));

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM api_keys ORDER BY created_at, name";
        using var reader = command.ExecuteReader();
        var list = new List<ApiKeyRecord>();
        while (reader.Read())
        {
            list.Add(Read(reader));
        }
        return Task.FromResult<IReadOnlyList<ApiKeyRecord>>(list);
    }

    /// <inheritdoc />
    public Task<bool> RevokeAsync(string name, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE api_keys SET disabled = 1 WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    /// <inheritdoc />
    public Task<ApiKeyRecord?> AddCreditsAsync(string name, decimal amount, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE api_keys SET credits_micro = COALESCE(credits_micro, 0) + $amount WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$amount", Micro.From(amount));
        return Task.FromResult(command.ExecuteNonQuery() == 1 ? QueryOne("name = $v", name) : null);
    }

    /// <inheritdoc />
    public Task<ReservationResult> TryReserveAsync(string keyId, string holdId, decimal price, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var transaction = connection.BeginTransaction(deferred: false);
        var reserved = Exists(connection, holdId);
        if (!reserved)
        {
            using var command = connection.CreateCommand();
            // The balance check and the hold happen in one statement, inside a write transaction.
            command.CommandText = """
                UPDATE api_keys SET reserved_micro = reserved_micro + $price
                WHERE id = $id AND (credits_micro IS NULL OR credits_micro - reserved_micro >= $price)
                """;
            command.Parameters.AddWithValue("$id", keyId);
            command.Parameters.AddWithValue("$price", Micro.From(price));
            reserved = command.ExecuteNonQuery() == 1;
            if (reserved)
            {
                using var hold = connection.CreateCommand();
                hold.CommandText = "INSERT INTO holds (hold_id, key_id, price_micro) VALUES ($hold, $id, $price)";
                hold.Parameters.AddWithValue("$hold", holdId);
                hold.Parameters.AddWithValue("$id", keyId);
                hold.Parameters.AddWithValue("$price", Micro.From(price));
                hold.ExecuteNonQuery();
            }
        }
        transaction.Commit();
        return Task.FromResult(new ReservationResult(reserved, QueryOne("id = $v", keyId)?.Available));
    }

    /// <inheritdoc />
    public Task<decimal?> CommitAsync(string keyId, string holdId, CancellationToken cancellationToken) =>
        Task.FromResult(Settle(keyId, holdId, charge: true));

    /// <inheritdoc />
    public Task<decimal?> ReleaseAsync(string keyId, string holdId, CancellationToken cancellationToken) =>
        Task.FromResult(Settle(keyId, holdId, charge: false));

    /// <inheritdoc />
    public Task<RateDecision> TryAcquireRateAsync(string keyId, int requestsPerMinute, CancellationToken cancellationToken)
    {
        // A fixed one-minute window per key: simple, shared by every connection, and exact at the limit.
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var windowStart = nowMs - nowMs % 60_000;
        using var connection = database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO rate_windows (key_id, window_start, count) VALUES ($id, $start, 1)
            ON CONFLICT (key_id) DO UPDATE SET
                count = CASE WHEN window_start = $start THEN count + 1 ELSE 1 END,
                window_start = $start
            RETURNING count
            """;
        command.Parameters.AddWithValue("$id", keyId);
        command.Parameters.AddWithValue("$start", windowStart);
        var count = Convert.ToInt64(command.ExecuteScalar());
        if (count <= requestsPerMinute)
        {
            return Task.FromResult(new RateDecision(true, 0));
        }
        var retryAfter = (int)Math.Ceiling((windowStart + 60_000 - nowMs) / 1000.0);
        return Task.FromResult(new RateDecision(false, Math.Max(1, retryAfter)));
    }

    /// <summary>Ends a hold once: removes it and takes its price off the reservation (and, when charging, the balance).</summary>
    private decimal? Settle(string keyId, string holdId, bool charge)
    {
        using (var connection = database.Connect())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            using var take = connection.CreateCommand();
            take.CommandText = "DELETE FROM holds WHERE hold_id = $hold AND key_id = $id RETURNING price_micro";
            take.Parameters.AddWithValue("$hold", holdId);
            take.Parameters.AddWithValue("$id", keyId);
            if (take.ExecuteScalar() is long price)
            {
                using var command = connection.CreateCommand();
                command.CommandText = charge
                    ? """
                      UPDATE api_keys SET reserved_micro = MAX(reserved_micro - $price, 0),
                          credits_micro = CASE WHEN credits_micro IS NULL THEN NULL ELSE credits_micro - $price END
                      WHERE id = $id
                      """
                    : "UPDATE api_keys SET reserved_micro = MAX(reserved_micro - $price, 0) WHERE id = $id";
                command.Parameters.AddWithValue("$id", keyId);
                command.Parameters.AddWithValue("$price", price);
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        return QueryOne("id = $v", keyId)?.Available;
    }

    private static bool Exists(SqliteConnection connection, string holdId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM holds WHERE hold_id = $hold";
        command.Parameters.AddWithValue("$hold", holdId);
        return command.ExecuteScalar() is not null;
    }

    private const string Columns = "id, name, prefix, credits_micro, reserved_micro, rpm, disabled, created_at";

    private ApiKeyRecord? QueryOne(string where, string value)
    {
        using var connection = database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM api_keys WHERE {where}";
        command.Parameters.AddWithValue("$v", value);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    private static ApiKeyRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Prefix = r.GetString(2),
        Credits = r.IsDBNull(3) ? null : Micro.To(r.GetInt64(3)),
        Reserved = Micro.To(r.GetInt64(4)),
        RequestsPerMinute = r.IsDBNull(5) ? null : r.GetInt32(5),
        Disabled = r.GetInt64(6) != 0,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
    };
}
