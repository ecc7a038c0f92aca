using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Jobs.Redis;
using Sam3Serve.Jobs.Tests.Contract;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Redis;

/// <summary>The account store contract on Redis, plus races between processes.</summary>
public sealed class RedisAccountStoreTests : AccountStoreContractTests
{
    private RedisTestScope? _scope;

    private RedisTestScope Scope => _scope!;

    // Key creation times come from this clock (a key's record, not a Redis expiry): moved by hand, not slept on.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override async Task<IAccountStore> CreateStoreAsync()
    {
        _scope = await RedisTestScope.StartOrSkipAsync();
        return new RedisAccountStore(Scope.Redis, Scope.Options, _clock);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_scope is not null)
        {
            await _scope.DisposeAsync();
        }
    }

    /// <summary>The same store as seen from another process: its own multiplexer.</summary>
    private async Task<RedisAccountStore> OtherProcessAsync() =>
        new(await Scope.AnotherConnectionAsync(), Scope.Options);

    [Fact]
    public async Task TryReserve_TwoProcessesRacing_NeverOverspend()
    {
        var (record, _) = await Accounts.CreateKeyAsync("shared", 25, null, CancellationToken.None);
        var processes = new[] { await OtherProcessAsync(), await OtherProcessAsync() };
        var results = await Task.WhenAll(Enumerable.Range(0, 120).Select(i => Task.Run(() =>
            processes[i % 2].TryReserveAsync(record.Id, $"r{i}", 0.5m, CancellationToken.None))));

        Assert.Equal(50, results.Count(r => r.Reserved));
        Assert.All(results, r => Assert.True(r.Available >= 0));
        var after = await Accounts.GetAsync(record.Id, CancellationToken.None);
        Assert.Equal(25m, after!.Reserved);
        Assert.Equal(0m, after.Available);
    }

    [Fact]
    public async Task TryAcquireRate_TwoProcesses_ShareOneWindow()
    {
        var (record, _) = await Accounts.CreateKeyAsync("limited", null, 10, CancellationToken.None);
        var processes = new[] { await OtherProcessAsync(), await OtherProcessAsync() };
        var decisions = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() =>
            processes[i % 2].TryAcquireRateAsync(record.Id, 10, CancellationToken.None))));

        // The window starts with its first request, so 30 requests within a second all fall in one window.
        Assert.Equal(10, decisions.Count(d => d.Allowed));
        Assert.All(decisions.Where(d => !d.Allowed), d => Assert.InRange(d.RetryAfterSeconds, 30, 60));
    }

    [Fact]
    public async Task Credits_DecimalAmounts_StayExact()
    {
        var (record, _) = await Accounts.CreateKeyAsync("cents", 0.3m, null, CancellationToken.None);
        await Accounts.AddCreditsAsync("cents", 0.1m, CancellationToken.None);
        var reserved = await Accounts.TryReserveAsync(record.Id, "r", 0.15m, CancellationToken.None);
        Assert.Equal(0.25m, reserved.Available);
        Assert.Equal(0.25m, await Accounts.CommitAsync(record.Id, "r", CancellationToken.None));
        var after = await Accounts.GetAsync(record.Id, CancellationToken.None);
        Assert.Equal(0.25m, after!.Credits);
        Assert.Equal(0m, after.Reserved);
    }

    [Fact]
    public async Task List_ReturnsAllKeysOldestFirst()
    {
        await Accounts.CreateKeyAsync("one", null, null, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        await Accounts.CreateKeyAsync("two", 1, null, CancellationToken.None);
        var list = await Accounts.ListAsync(CancellationToken.None);
        Assert.Equal(["one", "two"], list.Select(k => k.Name));
    }

    [Fact]
    public async Task Keys_AreStoredOnlyAsHashes()
    {
        var (_, key) = await Accounts.CreateKeyAsync("secret", null, null, CancellationToken.None);
        var db = Scope.Db;
        var stored = new StringBuilder();
        foreach (var name in await RedisTestServer.KeysAsync(Scope.Redis, Scope.Options.KeyPrefix))
        {
            foreach (var entry in await db.HashGetAllAsync(name))
            {
                stored.Append(entry.Name).Append('=').Append(entry.Value).Append(';');
            }
        }
        Assert.DoesNotContain(key, stored.ToString());
        Assert.Contains(ApiKeys.Hash(key), stored.ToString());
    }
}
