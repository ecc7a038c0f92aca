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
        AddColumnIfMissing(connection, "jobs", "stage", "TEXT NULL");
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

    /// <summary>Upgrades a data dir written by an older version (CREATE TABLE IF NOT EXISTS keeps old columns).</summary>
    private static void AddColumnIfMissing(SqliteConnection connection, string table, string column, string type)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column} {type}");
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
            stage         TEXT NULL
        );
        CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (status, created_at);
        CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL;
        """;
}

/// <summary>Conversions between decimal credits and the stored integer micro-credits.</summary>
internal static class Micro
{
    public static long From(decimal credits) => decimal.ToInt64(decimal.Round(credits * 1_000_000m));
    public static decimal To(long micro) => micro / 1_000_000m;
}
