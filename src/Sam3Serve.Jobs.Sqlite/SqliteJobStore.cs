using Microsoft.Data.Sqlite;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Webhooks;

namespace Sam3Serve.Jobs.Sqlite;

/// <summary>
/// The embedded job store: job rows in SQLite, inline input images and result media as files under
/// the data dir (<c>inputs/&lt;id&gt;</c>, <c>media/&lt;id&gt;/&lt;name&gt;</c>). Files are written and flushed
/// before the row that points at them is committed, so a crash never leaves a row without its files.
/// </summary>
public sealed partial class SqliteJobStore : IJobStore, IWebhookOutbox
{
    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;
    private readonly string _inputsDir;
    private readonly string _mediaDir;
    private readonly List<Action<string>> _cancellationHandlers = [];

    /// <summary>Opens the job tables of <paramref name="database"/>.</summary>
    public SqliteJobStore(SqliteDatabase database, TimeProvider? time = null)
    {
        _database = database;
        _time = time ?? TimeProvider.System;
        _inputsDir = Path.Combine(database.DataDir, "inputs");
        _mediaDir = Path.Combine(database.DataDir, "media");
        Directory.CreateDirectory(_inputsDir);
        Directory.CreateDirectory(_mediaDir);
    }

    /// <summary>
    /// Puts every PROCESSING job back in the queue. Only for a process that owns the data dir alone
    /// (the server holds a lock file), at startup: whoever was processing those jobs is gone.
    /// </summary>
    public int RequeueAbandoned()
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE jobs SET status = {(int)JobStatus.Queued}, lease_owner = NULL, lease_token = NULL, lease_until = NULL WHERE status = {(int)JobStatus.Processing}";
        return command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public async Task EnqueueAsync(NewJob job, CancellationToken cancellationToken)
    {
        if (job.InlineImage is { } bytes)
        {
            await WriteDurablyAsync(InputPath(job.Id), bytes, cancellationToken);
        }
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO jobs (id, key_id, status, request_json, image_url, has_inline, price_micro, created_at, webhook, base_url)
            VALUES ($id, $key, $status, $request, $url, $inline, $price, $created, $webhook, $base)
            """;
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$key", job.KeyId);
        command.Parameters.AddWithValue("$status", (int)JobStatus.Queued);
        command.Parameters.AddWithValue("$request", job.RequestJson);
        command.Parameters.AddWithValue("$url", (object?)job.ImageUrl ?? DBNull.Value);
        command.Parameters.AddWithValue("$inline", job.InlineImage is null ? 0 : 1);
        command.Parameters.AddWithValue("$price", Micro.From(job.Price));
        command.Parameters.AddWithValue("$created", Now());
        command.Parameters.AddWithValue("$webhook", (object?)job.Webhook ?? DBNull.Value);
        command.Parameters.AddWithValue("$base", (object?)job.BaseUrl ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM jobs WHERE id = $id AND (expires_at IS NULL OR expires_at > $now)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", Now());
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? Read(reader) : null);
    }

    /// <inheritdoc />
    public Task<LeasedJob?> LeaseNextAsync(string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = Now();
        var token = Guid.NewGuid().ToString("N");
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        // One UPDATE ... RETURNING picks and claims the row atomically, so two workers never get the same job.
        command.CommandText = $"""
            UPDATE jobs SET status = {(int)JobStatus.Processing}, lease_owner = $owner, lease_token = $token, stage = NULL,
                lease_until = $until, attempts = attempts + 1, started_at = COALESCE(started_at, $now)
            WHERE id = (
                SELECT id FROM jobs
                WHERE status = {(int)JobStatus.Queued}
                   OR (status = {(int)JobStatus.Processing} AND lease_until < $now)
                ORDER BY created_at LIMIT 1)
            RETURNING {Columns}
            """;
        command.Parameters.AddWithValue("$owner", workerId);
        command.Parameters.AddWithValue("$token", token);
        command.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
        command.Parameters.AddWithValue("$now", now);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? new LeasedJob(Read(reader), token) : null);
    }

    /// <inheritdoc />
    public Task<bool> RenewLeaseAsync(LeasedJob leased, TimeSpan lease, CancellationToken cancellationToken)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE jobs SET lease_until = $until WHERE id = $id AND lease_token = $token AND status = {(int)JobStatus.Processing}";
        command.Parameters.AddWithValue("$until", Now() + (long)lease.TotalMilliseconds);
        command.Parameters.AddWithValue("$id", leased.Job.Id);
        command.Parameters.AddWithValue("$token", leased.LeaseToken);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    /// <inheritdoc />
    public Task<bool> SetStageAsync(LeasedJob leased, string stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE jobs SET stage = $stage WHERE id = $id AND lease_token = $token AND status = {(int)JobStatus.Processing}";
        command.Parameters.AddWithValue("$stage", stage);
        command.Parameters.AddWithValue("$id", leased.Job.Id);
        command.Parameters.AddWithValue("$token", leased.LeaseToken);
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    /// <inheritdoc />
    public async Task<bool> FinishAsync(LeasedJob leased, JobOutcome outcome, TimeSpan retention, CancellationToken cancellationToken)
    {
        var id = leased.Job.Id;
        // Each attempt writes its media to a folder of its own, recorded in the row by the UPDATE that
        // wins; a worker whose finish loses (lease lost, job already finished) deletes only its own files.
        var mediaKey = Guid.NewGuid().ToString("N");
        var mediaFolder = Path.Combine(_mediaDir, id, mediaKey);
        foreach (var file in outcome.Media)
        {
            await WriteDurablyAsync(Path.Combine(mediaFolder, SafeName(file.Name)), file.Content, cancellationToken);
        }
        var now = Now();
        using var connection = _database.Connect();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            UPDATE jobs SET status = $status, finished_at = $now, expires_at = $expires,
                output_json = $output, error = $error, metrics_json = $metrics,
                failure_kind = $failureKind, failure_status = $failureStatus,
                lease_owner = NULL, lease_until = NULL, media_dir = $media
            WHERE id = $id AND lease_token = $token AND status = {(int)JobStatus.Processing}
            """;
        command.Parameters.AddWithValue("$status", (int)(outcome.Succeeded ? JobStatus.Completed : JobStatus.Failed));
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$expires", now + (long)retention.TotalMilliseconds);
        command.Parameters.AddWithValue("$output", (object?)outcome.OutputJson ?? DBNull.Value);
        command.Parameters.AddWithValue("$error", (object?)outcome.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$metrics", outcome.MetricsJson);
        AddFailure(command, outcome.Failure);
        command.Parameters.AddWithValue("$media", mediaKey);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$token", leased.LeaseToken);
        var won = command.ExecuteNonQuery() == 1;
        if (won && outcome.Webhook is { } message)
        {
            InsertWebhook(connection, transaction, id, message, now);
        }
        transaction.Commit();
        if (!won)
        {
            TryDelete(mediaFolder);
        }
        else
        {
            TryDeleteFile(InputPath(id));
        }
        return won;
    }

    /// <inheritdoc />
    public Task<bool> CancelAsync(string id, JobOutcome outcome, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var now = Now();
        bool won;
        using (var connection = _database.Connect())
        using (var transaction = connection.BeginTransaction())
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // Clearing the lease token is what makes the worker's renewals and finish fail.
            command.CommandText = $"""
                UPDATE jobs SET status = {(int)JobStatus.Failed}, finished_at = $now, expires_at = $expires,
                    output_json = NULL, error = $error, metrics_json = $metrics,
                    failure_kind = $failureKind, failure_status = $failureStatus,
                    lease_owner = NULL, lease_token = NULL, lease_until = NULL
                WHERE id = $id AND status IN ({(int)JobStatus.Queued}, {(int)JobStatus.Processing})
                """;
            command.Parameters.AddWithValue("$now", now);
            command.Parameters.AddWithValue("$expires", now + (long)retention.TotalMilliseconds);
            command.Parameters.AddWithValue("$error", (object?)outcome.Error ?? "cancelled");
            command.Parameters.AddWithValue("$metrics", outcome.MetricsJson);
            AddFailure(command, outcome.Failure ?? JobFailure.Of(FailureKind.Cancelled));
            command.Parameters.AddWithValue("$id", id);
            won = command.ExecuteNonQuery() == 1;
            if (won && outcome.Webhook is { } message)
            {
                InsertWebhook(connection, transaction, id, message, now);
            }
            transaction.Commit();
        }
        if (won)
        {
            TryDeleteFile(InputPath(id));
            Action<string>[] handlers;
            lock (_cancellationHandlers)
            {
                handlers = [.. _cancellationHandlers];
            }
            foreach (var handler in handlers)
            {
                handler(id);
            }
        }
        return Task.FromResult(won);
    }

    /// <inheritdoc />
    /// <remarks>One process owns a SQLite data dir, so the notices are in-process calls.</remarks>
    public Task SubscribeCancellationsAsync(Action<string> onCancelled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onCancelled);
        lock (_cancellationHandlers)
        {
            _cancellationHandlers.Add(onCancelled);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetInputImageAsync(string id, CancellationToken cancellationToken)
    {
        var path = InputPath(id);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetMediaAsync(string id, string name, CancellationToken cancellationToken)
    {
        var fileName = SafeName(name);
        string? folder;
        using (var connection = _database.Connect())
        using (var command = connection.CreateCommand())
        {
            // One lookup: the media folder of a completed job that is still retained.
            command.CommandText = $"SELECT media_dir FROM jobs WHERE id = $id AND status = {(int)JobStatus.Completed} AND (expires_at IS NULL OR expires_at > $now)";
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$now", Now());
            folder = command.ExecuteScalar() as string;
        }
        if (folder is null)
        {
            return null;
        }
        var path = Path.Combine(_mediaDir, id, folder, fileName);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    /// <inheritdoc />
    public Task<int> CountPendingAsync(CancellationToken cancellationToken)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM jobs WHERE status IN ({(int)JobStatus.Queued}, {(int)JobStatus.Processing})";
        return Task.FromResult(Convert.ToInt32(command.ExecuteScalar()));
    }

    /// <inheritdoc />
    public Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        using var connection = _database.Connect();
        var ids = new List<string>();
        using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT id FROM jobs WHERE expires_at IS NOT NULL AND expires_at <= $now";
            select.Parameters.AddWithValue("$now", Now());
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }
        foreach (var id in ids)
        {
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM jobs WHERE id = $id";
            delete.Parameters.AddWithValue("$id", id);
            delete.ExecuteNonQuery();
            TryDelete(Path.Combine(_mediaDir, id));
            TryDeleteFile(InputPath(id));
        }
        return Task.FromResult(ids.Count);
    }

    /// <inheritdoc />
    public Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var connection = _database.Connect();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            return Task.FromResult(Convert.ToInt32(command.ExecuteScalar()) == 1);
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }

    private string InputPath(string id) => Path.Combine(_inputsDir, SafeName(id));

    private static string SafeName(string name)
    {
        // Names come from our own renderers and ids, but a media route passes user text: never let it leave the folder.
        if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"invalid file name '{name}'", nameof(name));
        }
        return name;
    }

    private static async Task WriteDurablyAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        {
            await stream.WriteAsync(content, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the next purge pass.
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left behind; harmless.
        }
    }

    private static void AddFailure(SqliteCommand command, JobFailure? failure)
    {
        command.Parameters.AddWithValue("$failureKind", (object?)failure?.Kind.ToString() ?? DBNull.Value);
        command.Parameters.AddWithValue("$failureStatus", (object?)failure?.Status ?? DBNull.Value);
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private const string Columns = "id, key_id, status, request_json, image_url, price_micro, created_at, started_at, finished_at, expires_at, output_json, error, metrics_json, attempts, webhook, base_url, stage, failure_kind, failure_status";

    private static JobRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        KeyId = r.GetString(1),
        Status = (JobStatus)r.GetInt32(2),
        RequestJson = r.GetString(3),
        ImageUrl = r.IsDBNull(4) ? null : r.GetString(4),
        Price = Micro.To(r.GetInt64(5)),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        StartedAt = r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        FinishedAt = r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        ExpiresAt = r.IsDBNull(9) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
        OutputJson = r.IsDBNull(10) ? null : r.GetString(10),
        Error = r.IsDBNull(11) ? null : r.GetString(11),
        MetricsJson = r.GetString(12),
        Attempts = r.GetInt32(13),
        Webhook = r.IsDBNull(14) ? null : r.GetString(14),
        BaseUrl = r.IsDBNull(15) ? null : r.GetString(15),
        Stage = r.IsDBNull(16) ? null : r.GetString(16),
        Failure = r.IsDBNull(17) ? null : new JobFailure(Enum.TryParse<FailureKind>(r.GetString(17), out var kind) ? kind : FailureKind.Internal, r.IsDBNull(18) ? 500 : r.GetInt32(18)),
    };
}
