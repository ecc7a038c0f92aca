using StackExchange.Redis;

namespace Sam3Serve.Jobs.Redis;

/// <summary>Opens the one multiplexer a process shares between its Redis stores.</summary>
public static class RedisConnection
{
    /// <summary>
    /// Connects to <see cref="RedisOptions.ConnectionString"/>. The multiplexer keeps retrying in the
    /// background, so a server that is down or restarting makes calls fail (and readiness report false)
    /// instead of failing the process at startup.
    /// </summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(RedisOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return await ConnectionMultiplexer.ConnectAsync(Configure(options), log);
    }

    /// <summary>Synchronous <see cref="ConnectAsync"/>, for composition roots that cannot await.</summary>
    public static ConnectionMultiplexer Connect(RedisOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ConnectionMultiplexer.Connect(Configure(options), log);
    }

    private static ConfigurationOptions Configure(RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        configuration.AbortOnConnectFail = false;
        return configuration;
    }
}
