using Sam3Serve.Jobs.Accounts;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Contract;

/// <summary>What every account store must do: keys as hashes, exact balances, no overspending, rate windows.</summary>
public abstract class AccountStoreContractTests : IAsyncLifetime
{
    protected IAccountStore Accounts { get; private set; } = null!;

    protected abstract Task<IAccountStore> CreateStoreAsync();

    public async ValueTask InitializeAsync() => Accounts = await CreateStoreAsync();

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task CreateKey_FindByKey_FindsOnlyThatKey()
    {
        var (record, key) = await Accounts.CreateKeyAsync("alice", 10, 60, CancellationToken.None);
        Assert.StartsWith("s3s_", key);
        Assert.True(key.Length > 40);
        var found = await Accounts.FindByKeyAsync(key, CancellationToken.None);
        Assert.Equal(record.Id, found!.Id);
        Assert.Equal(10m, found.Credits);
        Assert.Equal(60, found.RequestsPerMinute);
        Assert.Null(await Accounts.FindByKeyAsync(key + "x", CancellationToken.None));
    }

    [Fact]
    public async Task CreateKey_DuplicateName_Throws()
    {
        await Accounts.CreateKeyAsync("dup", null, null, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Accounts.CreateKeyAsync("dup", null, null, CancellationToken.None));
    }

    [Fact]
    public async Task RevokeAndAddCredits_ChangeTheRecord()
    {
        var (_, key) = await Accounts.CreateKeyAsync("bob", null, null, CancellationToken.None);
        Assert.Null((await Accounts.FindByKeyAsync(key, CancellationToken.None))!.Credits);
        Assert.Equal(5m, (await Accounts.AddCreditsAsync("bob", 5, CancellationToken.None))!.Credits);
        Assert.Equal(7.5m, (await Accounts.AddCreditsAsync("bob", 2.5m, CancellationToken.None))!.Credits);
        Assert.True(await Accounts.RevokeAsync("bob", CancellationToken.None));
        Assert.True((await Accounts.FindByKeyAsync(key, CancellationToken.None))!.Disabled);
        Assert.False(await Accounts.RevokeAsync("nobody", CancellationToken.None));
        Assert.Null(await Accounts.AddCreditsAsync("nobody", 1, CancellationToken.None));
    }

    [Fact]
    public async Task Reserve_ConcurrentRequests_NeverOverspend()
    {
        var (record, _) = await Accounts.CreateKeyAsync("carol", 10, null, CancellationToken.None);
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => Accounts.TryReserveAsync(record.Id, $"r{i}", 1, CancellationToken.None))));
        Assert.Equal(10, results.Count(r => r.Reserved));
        Assert.Equal(0m, (await Accounts.GetAsync(record.Id, CancellationToken.None))!.Available);
        var held = Enumerable.Range(0, 50).Where(i => results[i].Reserved).Select(i => $"r{i}").ToList();

        // Commit 6, release 4: balance 4, nothing held.
        foreach (var hold in held.Take(6)) await Accounts.CommitAsync(record.Id, hold, CancellationToken.None);
        foreach (var hold in held.Skip(6)) await Accounts.ReleaseAsync(record.Id, hold, CancellationToken.None);
        var after = await Accounts.GetAsync(record.Id, CancellationToken.None);
        Assert.Equal(4m, after!.Credits);
        Assert.Equal(0m, after.Reserved);
    }

    [Fact]
    public async Task Reserve_UnlimitedKey_AlwaysSucceeds()
    {
        var (record, _) = await Accounts.CreateKeyAsync("dave", null, null, CancellationToken.None);
        var result = await Accounts.TryReserveAsync(record.Id, "big", 1000, CancellationToken.None);
        Assert.True(result.Reserved);
        Assert.Null(result.Available);
    }

    [Fact]
    public async Task Holds_RepeatedCalls_HoldAndSettleOnlyOnce()
    {
        var (record, _) = await Accounts.CreateKeyAsync("frank", 5, null, CancellationToken.None);
        // A reservation repeated (its first answer lost) holds once.
        Assert.True((await Accounts.TryReserveAsync(record.Id, "req-1", 2, CancellationToken.None)).Reserved);
        Assert.True((await Accounts.TryReserveAsync(record.Id, "req-1", 2, CancellationToken.None)).Reserved);
        Assert.Equal(3m, (await Accounts.GetAsync(record.Id, CancellationToken.None))!.Available);
        // A charge repeated charges once; a release after the charge changes nothing.
        Assert.Equal(3m, await Accounts.CommitAsync(record.Id, "req-1", CancellationToken.None));
        Assert.Equal(3m, await Accounts.CommitAsync(record.Id, "req-1", CancellationToken.None));
        Assert.Equal(3m, await Accounts.ReleaseAsync(record.Id, "req-1", CancellationToken.None));
        var after = await Accounts.GetAsync(record.Id, CancellationToken.None);
        Assert.Equal(3m, after!.Credits);
        Assert.Equal(0m, after.Reserved);
        // Settling a hold that never existed changes nothing.
        Assert.Equal(3m, await Accounts.ReleaseAsync(record.Id, "never-held", CancellationToken.None));
    }

    [Fact]
    public async Task Rate_OverLimitWithinAMinute_IsRefusedWithRetryAfter()
    {
        var (record, _) = await Accounts.CreateKeyAsync("erin", null, 3, CancellationToken.None);
        var decisions = new List<RateDecision>();
        for (var i = 0; i < 5; i++)
        {
            decisions.Add(await Accounts.TryAcquireRateAsync(record.Id, 3, CancellationToken.None));
        }
        // The minute window may roll over between calls; at most one window boundary can pass here.
        Assert.True(decisions.Count(d => d.Allowed) is >= 3 and <= 5);
        var refused = decisions.Where(d => !d.Allowed).ToList();
        Assert.All(refused, d => Assert.InRange(d.RetryAfterSeconds, 1, 60));
    }
}
