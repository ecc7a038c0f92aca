using Sam3Serve.Jobs.Redis;
using StackExchange.Redis;

namespace Sam3Serve.Jobs.Tests.Redis;

/// <summary>
/// One test's corner of the shared Redis: a key prefix of its own, the main connection, and any further
/// connections ("other processes") the test opens; disposing deletes the test's keys and closes them all.
/// </summary>
internal sealed class RedisTestScope : IAsyncDisposable
{
    private readonly List<IDisposable> _connections = [];

    private RedisTestScope(IConnectionMultiplexer redis, RedisOptions options)
    {
        Redis = redis;
        Options = options;
    }

    public IConnectionMultiplexer Redis { get; }

    public RedisOptions Options { get; }

    public IDatabase Db => Redis.GetDatabase();

    /// <summary>Connects to SAM3SERVE_TEST_REDIS, or skips the test saying why.</summary>
    public static async Task<RedisTestScope> StartOrSkipAsync() =>
        new(await RedisTestServer.ConnectOrSkipAsync(), RedisTestServer.NewOptions());

    /// <summary>A connection of its own, as another process would have.</summary>
    public async Task<ConnectionMultiplexer> AnotherConnectionAsync()
    {
        var connection = await RedisTestServer.ConnectAnotherAsync();
        _connections.Add(connection);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await RedisTestServer.DeleteKeysAsync(Redis, Options.KeyPrefix);
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
    }
}
