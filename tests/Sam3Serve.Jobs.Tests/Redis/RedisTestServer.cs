using Sam3Serve.Tests.Common;
using Sam3Serve.Jobs.Redis;
using StackExchange.Redis;
using Xunit;

namespace Sam3Serve.Jobs.Tests.Redis;

/// <summary>
/// The Redis server the tests share, named by SAM3SERVE_TEST_REDIS (host:port). Tests skip when it is
/// unset or nothing answers; each test works under a key prefix of its own and deletes it afterwards.
/// </summary>
internal static class RedisTestServer
{
    public const string Variable = "SAM3SERVE_TEST_REDIS";

    private static readonly Lazy<Task<ConnectionMultiplexer?>> Shared = new(() => TryConnectAsync(Endpoint));

    private static string? Endpoint => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>The shared connection, or a skip with the reason.</summary>
    public static async Task<IConnectionMultiplexer> ConnectOrSkipAsync()
    {
        if (Endpoint is null)
        {
            Assert.Skip($"no Redis at (unset): set {Variable}");
        }
        var shared = await Shared.Value;
        if (shared is null)
        {
            Assert.Skip($"no Redis at {Endpoint}: set {Variable} to a running server");
        }
        return shared;
    }

    /// <summary>A connection of its own, as a second process would have.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAnotherAsync() =>
        await TryConnectAsync(Endpoint) ?? throw new InvalidOperationException($"Redis at {Endpoint} stopped answering");

    /// <summary>Options for one test: the shared server, a fresh key prefix.</summary>
    public static RedisOptions NewOptions() => new()
    {
        ConnectionString = Endpoint ?? "",
        KeyPrefix = $"sam3serve-test:{Guid.NewGuid():N}:",
    };

    /// <summary>Deletes every key under <paramref name="prefix"/>.</summary>
    public static async Task DeleteKeysAsync(IConnectionMultiplexer redis, string prefix)
    {
        var keys = await KeysAsync(redis, prefix);
        if (keys.Count > 0)
        {
            await redis.GetDatabase().KeyDeleteAsync([.. keys]);
        }
    }

    /// <summary>Every key under <paramref name="prefix"/> (SCAN, so the server is not blocked).</summary>
    public static async Task<List<RedisKey>> KeysAsync(IConnectionMultiplexer redis, string prefix)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 500))
        {
            keys.Add(key);
        }
        return keys;
    }

    internal static Task<ConnectionMultiplexer?> TryConnectAsync(string? endpoint, bool allowAdmin = false) =>
        OwnRedisServer.TryConnectAsync(endpoint, allowAdmin);
}
