using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Sqlite;
using Sam3Serve.Jobs.Tests.Contract;
using Sam3Serve.Tests.Common;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Sqlite;

public sealed class SqliteJobStoreTests : JobStoreContractTests
{
    private readonly TempDir _dir = new("sam3serve-jobs");
    // Leases, retention and webhook retries are read from this clock: the suite moves it instead of sleeping.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override Task<IJobStore> CreateStoreAsync() =>
        Task.FromResult<IJobStore>(new SqliteJobStore(SqliteDatabase.Open(_dir.Path), _clock));

    protected override Task PassAsync(TimeSpan span)
    {
        _clock.Advance(span);
        return Task.CompletedTask;
    }

    protected override DateTimeOffset StoreNow => _clock.GetUtcNow();

    public override ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task RequeueAbandoned_AfterRestart_ProcessingJobsAreQueuedAgain()
    {
        await Store.EnqueueAsync(Job("interrupted"), CancellationToken.None);
        await Store.LeaseNextAsync("crashed", Lease, CancellationToken.None);

        // A new process opens the same data dir.
        var reopened = new SqliteJobStore(SqliteDatabase.Open(_dir.Path));
        Assert.Equal(1, reopened.RequeueAbandoned());

        var leased = await reopened.LeaseNextAsync("new", Lease, CancellationToken.None);
        Assert.Equal("interrupted", leased!.Job.Id);
        Assert.Equal(2, leased.Job.Attempts);
    }

    [Fact]
    public async Task Enqueue_IsDurableAcrossReopen()
    {
        await Store.EnqueueAsync(Job("kept", [5, 6]), CancellationToken.None);
        var reopened = new SqliteJobStore(SqliteDatabase.Open(_dir.Path));
        Assert.Equal(JobStatus.Queued, (await reopened.GetAsync("kept", CancellationToken.None))!.Status);
        Assert.Equal([5, 6], await reopened.GetInputImageAsync("kept", CancellationToken.None));
    }

    [Fact]
    public async Task Open_DatabaseWithoutFailureColumns_AddsThemAndKeepsOldRows()
    {
        using var dir = new TempDir("sam3serve-migrate");
        // A jobs table as written before failures were typed: an old FAILED row with no failure columns.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir.Path, SqliteDatabase.FileName)}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE jobs (id TEXT PRIMARY KEY, key_id TEXT NOT NULL, status INTEGER NOT NULL, request_json TEXT NOT NULL,
                    image_url TEXT NULL, has_inline INTEGER NOT NULL, price_micro INTEGER NOT NULL, created_at INTEGER NOT NULL,
                    started_at INTEGER NULL, finished_at INTEGER NULL, expires_at INTEGER NULL, lease_owner TEXT NULL,
                    lease_token TEXT NULL, lease_until INTEGER NULL, attempts INTEGER NOT NULL DEFAULT 0, output_json TEXT NULL,
                    error TEXT NULL, metrics_json TEXT NOT NULL DEFAULT '{}', media_dir TEXT NULL);
                INSERT INTO jobs (id, key_id, status, request_json, has_inline, price_micro, created_at, error, metrics_json)
                    VALUES ('old', 'k', 3, '{}', 0, 0, 1, 'bad image', '{"total_time":1,"error_code":400}');
                """;
            command.ExecuteNonQuery();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var store = new SqliteJobStore(SqliteDatabase.Open(dir.Path));
        var old = await store.GetAsync("old", CancellationToken.None);
        Assert.Equal(JobStatus.Failed, old!.Status);
        Assert.Null(old.Failure);

        await store.EnqueueAsync(Job("new"), CancellationToken.None);
        var leased = await store.LeaseNextAsync("w", Lease, CancellationToken.None);
        var outcome = new JobOutcome(null, "too big", "{}", []) { Failure = JobFailure.Of(FailureKind.InputTooLarge) };
        Assert.True(await store.FinishAsync(leased!, outcome, Retention, CancellationToken.None));
        Assert.Equal(new JobFailure(FailureKind.InputTooLarge, 413), (await store.GetAsync("new", CancellationToken.None))!.Failure);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task GetMedia_PathTraversalName_IsRefused()
    {
        await Store.EnqueueAsync(Job("t"), CancellationToken.None);
        var leased = await Store.LeaseNextAsync("w", Lease, CancellationToken.None);
        await Store.FinishAsync(leased!, Completed("x"), Retention, CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetMediaAsync("t", "../../sam3serve.db", CancellationToken.None));
    }
}

public sealed class SqliteAccountStoreTests : AccountStoreContractTests
{
    private readonly TempDir _dir = new("sam3serve-accounts");

    protected override Task<IAccountStore> CreateStoreAsync() =>
        Task.FromResult<IAccountStore>(new SqliteAccountStore(SqliteDatabase.Open(_dir.Path)));

    public override ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Keys_AreStoredOnlyAsHashes()
    {
        var (_, key) = await Accounts.CreateKeyAsync("secret", null, null, CancellationToken.None);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_dir.Path, SqliteDatabase.FileName));
        var wal = Path.Combine(_dir.Path, SqliteDatabase.FileName + "-wal");
        var all = File.Exists(wal) ? bytes.Concat(await File.ReadAllBytesAsync(wal)).ToArray() : bytes;
        Assert.DoesNotContain(key, System.Text.Encoding.UTF8.GetString(all));
        Assert.Contains(ApiKeys.Hash(key), System.Text.Encoding.UTF8.GetString(all));
    }
}
