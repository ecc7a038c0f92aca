using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Sqlite;
using Sam3Serve.Jobs.Tests.Contract;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Sqlite;

public sealed class SqliteJobStoreTests : JobStoreContractTests
{
    private readonly TempDir _dir = new("sam3serve-jobs");

    protected override Task<IJobStore> CreateStoreAsync() =>
        Task.FromResult<IJobStore>(new SqliteJobStore(SqliteDatabase.Open(_dir.Path)));

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
