namespace Sam3Serve.Jobs.Redis;

/// <summary>Where the Redis backend keeps jobs and accounts.</summary>
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>redis:6379,password=...</c>.</summary>
    public string ConnectionString { get; set; } = "localhost:6379";

    /// <summary>
    /// Put in front of every key, so several deployments can share one server. On Redis Cluster make it a
    /// hash tag (e.g. <c>{sam3serve}:</c>): the Lua scripts touch several keys and need them in one slot.
    /// </summary>
    public string KeyPrefix { get; set; } = "sam3serve:";

    /// <summary>The consumer group of the job stream that all workers of a deployment share.</summary>
    public string ConsumerGroup { get; set; } = "workers";

    /// <summary>
    /// A consumer (one per worker loop) that has held nothing and polled nothing for this long is removed
    /// from the group by <see cref="RedisJobStore.PurgeExpiredAsync"/>; worker ids are new per process.
    /// </summary>
    public TimeSpan IdleConsumerTimeout { get; set; } = TimeSpan.FromHours(1);
}
