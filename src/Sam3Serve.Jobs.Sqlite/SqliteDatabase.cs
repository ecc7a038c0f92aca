using Microsoft.Data.Sqlite;

namespace Sam3Serve.Jobs.Sqlite;

/// <summary>
/// The embedded store's database file (<c>&lt;data-dir&gt;/sam3serve.db</c>): opens connections in WAL mode
/// and creates the schema. The server and the <c>keys</c> commands share it, with or without each other.
/// </summary>
public sealed class SqliteDatabase
{
    /// <summary>File name inside the data dir.</summary>
    public const string FileName = "sam3serve.db";

    private readonly string _connectionString;

    private SqliteDatabase(string dataDir)
    {
        DataDir = Path.GetFullPath(dataDir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDir, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Seconds a statement waits on a lock held by another connection (another process included).
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The data dir, absolute.</summary>
    public string DataDir { get; }

    /// <summary>Opens (creating when needed) the database in <paramref name="dataDir"/> and brings its schema up to date.</summary>
    public static SqliteDatabase Open(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var db = new SqliteDatabase(dataDir);
        using var connection = db.Connect();
        // WAL lets readers (status polls) go on while a worker writes. synchronous=NORMAL in WAL mode
        // survives a killed process (the log is in the OS cache); only a power cut may drop the last commits.
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, Schema);
        AddMissingColumns(connection);
        return db;
    }

    /// <summary>An open connection with the per-connection pragmas set.</summary>
    public SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        return connection;
    }

    /// <summary>Columns added after the first release: a data dir written by an older version gets them here.</summary>
    private static void AddMissingColumns(SqliteConnection connection)
    {
        var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM pragma_table_info('jobs')";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                existing.Add(reader.GetString(0));
            }
        }
        foreach (var (name, type) in new[] { ("webhook", "TEXT NULL"), ("base_url", "TEXT NULL"), ("stage", "TEXT NULL"), ("failure_kind", "TEXT NULL"), ("failure_status", "INTEGER NULL") })
        {
            if (!existing.Contains(name))
            {
                Execute(connection, $"ALTER TABLE jobs ADD COLUMN {name} {type};");
            }
        }
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // Money is stored in integer micro-credits so that sums are exact.
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS api_keys (
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            key_hash    TEXT NOT NULL UNIQUE,
            prefix      TEXT NOT NULL,
            credits_micro   INTEGER NULL,
            reserved_micro  INTEGER NOT NULL DEFAULT 0,
            rpm         INTEGER NULL,
            disabled    INTEGER NOT NULL DEFAULT 0,
            created_at  INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS holds (
            hold_id       TEXT PRIMARY KEY,
            key_id        TEXT NOT NULL,
            price_micro   INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS rate_windows (
            key_id        TEXT PRIMARY KEY,
            window_start  INTEGER NOT NULL,
            count         INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS jobs (
            id            TEXT PRIMARY KEY,
            key_id        TEXT NOT NULL,
            status        INTEGER NOT NULL,
            request_json  TEXT NOT NULL,
            image_url     TEXT NULL,
            has_inline    INTEGER NOT NULL,
            price_micro   INTEGER NOT NULL,
            created_at    INTEGER NOT NULL,
            started_at    INTEGER NULL,
            finished_at   INTEGER NULL,
            expires_at    INTEGER NULL,
            lease_owner   TEXT NULL,
            lease_token   TEXT NULL,
            lease_until   INTEGER NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            output_json   TEXT NULL,
            error         TEXT NULL,
            metrics_json  TEXT NOT NULL DEFAULT '{}',
            media_dir     TEXT NULL,
            webhook       TEXT NULL,
            base_url      TEXT NULL,
            stage         TEXT NULL,
            failure_kind  TEXT NULL,
            failure_status INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (status, created_at);
        CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL;
        -- The webhook outbox: a row per notification not yet delivered nor given up. due_at is when it may be
        -- taken next: the retry time, or the end of the current sender's lease.
        CREATE TABLE IF NOT EXISTS webhooks (
            id            TEXT PRIMARY KEY,
            request_id    TEXT NOT NULL,
            url           TEXT NOT NULL,
            body          TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            due_at        INTEGER NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            lease_token   TEXT NULL,
            last_error    TEXT NULL
        );
        CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (due_at);
        CREATE TABLE IF NOT EXISTS settings (
            name          TEXT PRIMARY KEY,
            value         TEXT NOT NULL
        );
        """;
}

/// <summary>Conversions between decimal credits and the stored integer micro-credits.</summary>
internal static class Micro
{
    public static long From(decimal credits) => decimal.ToInt64(decimal.Round(credits * 1_000_000m));
    public static decimal To(long micro) => micro / 1_000_000m;
}
