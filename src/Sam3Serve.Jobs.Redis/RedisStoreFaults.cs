using StackExchange.Redis;

namespace Sam3Serve.Jobs.Redis;

/// <summary>Redis's transient failures: a connection failure, a time-out, or the LOADING answer of a server just restarted.</summary>
public sealed class RedisStoreFaults : IStoreFaults
{
    /// <inheritdoc />
    public bool IsUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is RedisConnectionException or RedisTimeoutException)
            {
                return true;
            }
            // A Redis just restarted answers LOADING while it replays its append-only file.
            if (current is RedisServerException && current.Message.StartsWith("LOADING", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}
