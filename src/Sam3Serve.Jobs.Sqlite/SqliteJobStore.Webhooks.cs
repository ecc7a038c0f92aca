using Microsoft.Data.Sqlite;
using Sam3Serve.Jobs.Webhooks;

namespace Sam3Serve.Jobs.Sqlite;

// The webhook outbox on SQLite: the webhooks table, written in the transaction that ends the job.
public sealed partial class SqliteJobStore
{
    private static void InsertWebhook(SqliteConnection connection, SqliteTransaction transaction, string requestId, WebhookMessage message, long now)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT OR IGNORE INTO webhooks (id, request_id, url, body, created_at, due_at)
            VALUES ($id, $request, $url, $body, $now, $now)
            """;
        command.Parameters.AddWithValue("$id", message.Id);
        command.Parameters.AddWithValue("$request", requestId);
        command.Parameters.AddWithValue("$url", message.Url);
        command.Parameters.AddWithValue("$body", message.Body);
        command.Parameters.AddWithValue("$now", now);
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public Task<LeasedWebhook?> LeaseNextWebhookAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = Now();
        var token = Guid.NewGuid().ToString("N");
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        // Moving due_at to the lease's end hides the row from other senders until then (atomic pick and claim).
        command.CommandText = """
            UPDATE webhooks SET lease_token = $token, due_at = $until
            WHERE id = (SELECT id FROM webhooks WHERE due_at <= $now ORDER BY due_at, created_at LIMIT 1)
            RETURNING id, request_id, url, body, created_at, attempts, last_error
            """;
        command.Parameters.AddWithValue("$token", token);
        command.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
        command.Parameters.AddWithValue("$now", now);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return Task.FromResult<LeasedWebhook?>(null);
        }
        var record = new WebhookRecord
        {
            Id = reader.GetString(0),
            RequestId = reader.GetString(1),
            Url = reader.GetString(2),
            Body = reader.GetString(3),
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
            Attempts = reader.GetInt32(5),
            LastError = reader.IsDBNull(6) ? null : reader.GetString(6),
        };
        return Task.FromResult<LeasedWebhook?>(new LeasedWebhook(record, token));
    }

    /// <inheritdoc />
    public Task<bool> CompleteWebhookAsync(LeasedWebhook leased, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM webhooks WHERE id = $id AND lease_token = $token";
        command.Parameters.AddWithValue("$id", leased.Message.Id);
        command.Parameters.AddWithValue("$token", leased.LeaseToken);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    /// <inheritdoc />
    public Task<bool> RetryWebhookAsync(LeasedWebhook leased, TimeSpan delay, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE webhooks SET attempts = attempts + 1, last_error = $error, due_at = $due, lease_token = NULL
            WHERE id = $id AND lease_token = $token
            """;
        command.Parameters.AddWithValue("$error", error);
        command.Parameters.AddWithValue("$due", Now() + (long)delay.TotalMilliseconds);
        command.Parameters.AddWithValue("$id", leased.Message.Id);
        command.Parameters.AddWithValue("$token", leased.LeaseToken);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    /// <inheritdoc />
    public Task<int> CountPendingWebhooksAsync(CancellationToken cancellationToken)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM webhooks";
        return Task.FromResult(Convert.ToInt32(command.ExecuteScalar()));
    }

    /// <inheritdoc />
    public Task<string> GetOrCreateWebhookSecretAsync(string candidate, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(candidate);
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO settings (name, value) VALUES ('webhook_secret', $candidate);
            SELECT value FROM settings WHERE name = 'webhook_secret';
            """;
        command.Parameters.AddWithValue("$candidate", candidate);
        return Task.FromResult((string)command.ExecuteScalar()!);
    }
}
