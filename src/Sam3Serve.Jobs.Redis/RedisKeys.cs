using StackExchange.Redis;

namespace Sam3Serve.Jobs.Redis;

/// <summary>Every key name the backend uses, in one place (the layout is described in RedisJobStore.cs).</summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey Stream { get; } = prefix + "jobs:stream";
    public RedisKey Leases { get; } = prefix + "jobs:leases";

    /// <summary>What the lease script puts in front of an id read from the stream to find the job hash.</summary>
    public string JobPrefix => Prefix + "job:";

    public RedisKey Job(string id) => JobPrefix + id;
    public RedisKey Input(string id) => JobPrefix + id + ":input";
    public RedisKey Media(string id) => JobPrefix + id + ":media";

    /// <summary>Sorted set of webhook message id → when it is due (retry time, or the end of its sender's lease).</summary>
    public RedisKey WebhooksDue { get; } = prefix + "webhooks:due";
    /// <summary>What the lease script puts in front of a message id to find its hash.</summary>
    public string WebhookPrefix => Prefix + "webhook:";
    public RedisKey Webhook(string id) => WebhookPrefix + id;
    /// <summary>Hash of settings every process shares (the generated webhook secret).</summary>
    public RedisKey Settings { get; } = prefix + "settings";
    /// <summary>Pub/sub channel announcing the id of each cancelled job to the workers.</summary>
    public string CancelledChannel => Prefix + "jobs:cancelled";

    public RedisKey KeysByName { get; } = prefix + "keys:by-name";
    public RedisKey KeysByHash { get; } = prefix + "keys:by-hash";
    public RedisKey ApiKey(string id) => Prefix + "key:" + id;
    public RedisKey Rate(string id) => Prefix + "rate:" + id;
    /// <summary>Hash of hold id → price (micro) of a key's open credit reservations.</summary>
    public RedisKey Holds(string id) => Prefix + "holds:" + id;
}

/// <summary>Conversions between decimal credits and the stored integer micro-credits.</summary>
internal static class Micro
{
    public static long From(decimal credits) => decimal.ToInt64(decimal.Round(credits * 1_000_000m));
    public static decimal To(long micro) => micro / 1_000_000m;
}
