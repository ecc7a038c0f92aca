namespace Sam3Serve.Jobs.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisJobStore"/>. Each runs atomically on the server, so no other
/// client (process) sees a half-done step, and an AOF replay restores it whole or not at all.
/// Times come from the server's TIME: one clock for every process that shares the store.
/// </summary>
internal static class JobScripts
{
    private const string Now = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

        """;

    /// <summary>
    /// KEYS: job, input, stream. ARGV: id, key id, request json, has url, url, has image, image, price (micro),
    /// has webhook, webhook url, base url. Returns 0 when the id is taken, else 1.
    /// </summary>
    public const string Enqueue = Now + """
        if redis.call('EXISTS', KEYS[1]) == 1 then
          return 0
        end
        local entry = redis.call('XADD', KEYS[3], '*', 'id', ARGV[1])
        redis.call('HSET', KEYS[1], 'id', ARGV[1], 'key', ARGV[2], 'status', 'Queued', 'request', ARGV[3],
          'price', ARGV[8], 'created', now, 'attempts', 0, 'metrics', '{}', 'entry', entry)
        if ARGV[4] == '1' then
          redis.call('HSET', KEYS[1], 'url', ARGV[5])
        end
        if ARGV[6] == '1' then
          redis.call('SET', KEYS[2], ARGV[7])
        end
        if ARGV[9] == '1' then
          redis.call('HSET', KEYS[1], 'webhook', ARGV[10], 'base', ARGV[11])
        end
        return 1
        """;

    // Writes the webhook message of a job that ends in the same script: KEYS[w] the message hash, KEYS[d] the
    // due set; ARGV from a: has message, id, url, body, request id.
    private static string WriteWebhook(int hashKey, int dueKey, int arg) => $$"""
        if ARGV[{{arg}}] == '1' and redis.call('EXISTS', KEYS[{{hashKey}}]) == 0 then
          redis.call('HSET', KEYS[{{hashKey}}], 'id', ARGV[{{arg + 1}}], 'url', ARGV[{{arg + 2}}], 'body', ARGV[{{arg + 3}}],
            'request', ARGV[{{arg + 4}}], 'created', now, 'attempts', 0)
          redis.call('ZADD', KEYS[{{dueKey}}], now, ARGV[{{arg + 1}}])
        end

        """;

    /// <summary>
    /// KEYS: stream, leases. ARGV: group, consumer, token, lease (ms), job key prefix.
    /// Takes the job whose lease ran out longest ago, else the next new stream entry; returns the job
    /// hash as a flat field/value list, or nil when there is nothing to do.
    /// </summary>
    public const string LeaseNext = Now + """
        local deadline = now + tonumber(ARGV[4])
        for _ = 1, 32 do
          local id, entry
          local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now, 'LIMIT', 0, 1)
          if #expired > 0 then
            id = expired[1]
            entry = redis.call('HGET', ARGV[5] .. id, 'entry')
            if entry then
              -- Moves the pending entry to this consumer and counts a delivery: XPENDING shows the new owner.
              redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, entry)
            end
          else
            local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
            if not read then
              return false
            end
            local message = read[1][2][1]
            entry = message[1]
            id = message[2][2]
          end
          local job = ARGV[5] .. id
          local status = redis.call('HGET', job, 'status')
          if status == 'Queued' or status == 'Processing' then
            redis.call('HSET', job, 'status', 'Processing', 'owner', ARGV[2], 'token', ARGV[3], 'lease_until', deadline)
            redis.call('HDEL', job, 'stage')
            redis.call('HINCRBY', job, 'attempts', 1)
            redis.call('HSETNX', job, 'started', now)
            redis.call('ZADD', KEYS[2], deadline, id)
            return redis.call('HGETALL', job)
          end
          -- The job is gone or already finished: drop what still points at it and look again.
          redis.call('ZREM', KEYS[2], id)
          if entry then
            redis.call('XACK', KEYS[1], ARGV[1], entry)
            redis.call('XDEL', KEYS[1], entry)
          end
        end
        return false
        """;

    /// <summary>KEYS: job. ARGV: token, stage. Returns 1 when the lease is still held (and the stage recorded).</summary>
    public const string SetStage = """
        local job = redis.call('HMGET', KEYS[1], 'status', 'token')
        if job[1] ~= 'Processing' or job[2] ~= ARGV[1] then
          return 0
        end
        redis.call('HSET', KEYS[1], 'stage', ARGV[2])
        return 1
        """;

    /// <summary>KEYS: job, leases, stream. ARGV: token, lease (ms), group, id. Returns 1 when the lease is still held.</summary>
    public const string Renew = Now + """
        local job = redis.call('HMGET', KEYS[1], 'status', 'token', 'owner', 'entry')
        if job[1] ~= 'Processing' or job[2] ~= ARGV[1] then
          return 0
        end
        local deadline = now + tonumber(ARGV[2])
        redis.call('HSET', KEYS[1], 'lease_until', deadline)
        redis.call('ZADD', KEYS[2], deadline, ARGV[4])
        -- Claiming to the same consumer resets the entry's idle time, so XPENDING tells live work from stalled.
        redis.call('XCLAIM', KEYS[3], ARGV[3], job[3], 0, job[4], 'JUSTID')
        return 1
        """;

    /// <summary>
    /// KEYS: job, leases, stream, media, input, webhook message, webhooks due. ARGV: token, status, has output,
    /// output, has error, error, metrics, retention (ms), group, id, has webhook, webhook id, url, body, request id,
    /// failure kind ('' when none), failure status, then media name/content pairs. Returns 1 when this call finished the job, 0 (changing nothing) when the
    /// lease was lost or the job already finished.
    /// </summary>
    public static readonly string Finish = Now + """
        local job = redis.call('HMGET', KEYS[1], 'status', 'token', 'entry')
        if job[1] ~= 'Processing' or job[2] ~= ARGV[1] then
          return 0
        end
        local expires = now + tonumber(ARGV[8])
        redis.call('HSET', KEYS[1], 'status', ARGV[2], 'finished', now, 'expires', expires, 'metrics', ARGV[7])
        if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'output', ARGV[4]) else redis.call('HDEL', KEYS[1], 'output') end
        if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'error', ARGV[6]) else redis.call('HDEL', KEYS[1], 'error') end
        if ARGV[16] ~= '' then
          redis.call('HSET', KEYS[1], 'failure_kind', ARGV[16], 'failure_status', ARGV[17])
        else
          redis.call('HDEL', KEYS[1], 'failure_kind', 'failure_status')
        end
        redis.call('HDEL', KEYS[1], 'owner', 'lease_until')
        redis.call('ZREM', KEYS[2], ARGV[10])
        redis.call('XACK', KEYS[3], ARGV[9], job[3])
        redis.call('XDEL', KEYS[3], job[3])
        redis.call('DEL', KEYS[4], KEYS[5])
        for i = 18, #ARGV, 2 do
          redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
        end
        -- The retention is the keys' own expiry: Redis drops them at that instant, reads included.
        redis.call('PEXPIREAT', KEYS[1], expires)
        redis.call('PEXPIREAT', KEYS[4], expires)
        """ + WriteWebhook(6, 7, 11) + """
        return 1
        """;

    /// <summary>
    /// KEYS: job, leases, stream, input, webhook message, webhooks due. ARGV: error, metrics, retention (ms),
    /// group, id, channel, has webhook, webhook id, url, body, request id, failure kind, failure status. Ends a Queued or Processing job as
    /// Failed: its stream entry and lease go, its token too (so the worker's renew and finish fail), and the
    /// id is published on the channel. Returns 1, or 0 (changing nothing) when it is gone or already ended.
    /// </summary>
    public static readonly string Cancel = Now + """
        local job = redis.call('HMGET', KEYS[1], 'status', 'entry')
        if job[1] ~= 'Queued' and job[1] ~= 'Processing' then
          return 0
        end
        local expires = now + tonumber(ARGV[3])
        redis.call('HSET', KEYS[1], 'status', 'Failed', 'finished', now, 'expires', expires, 'metrics', ARGV[2], 'error', ARGV[1],
          'failure_kind', ARGV[12], 'failure_status', ARGV[13])
        redis.call('HDEL', KEYS[1], 'output', 'owner', 'token', 'lease_until')
        redis.call('ZREM', KEYS[2], ARGV[5])
        if job[2] then
          redis.call('XACK', KEYS[3], ARGV[4], job[2])
          redis.call('XDEL', KEYS[3], job[2])
        end
        redis.call('DEL', KEYS[4])
        redis.call('PEXPIREAT', KEYS[1], expires)
        """ + WriteWebhook(5, 6, 7) + """
        redis.call('PUBLISH', ARGV[6], ARGV[5])
        return 1
        """;

    /// <summary>
    /// KEYS: webhooks due. ARGV: token, lease (ms), message key prefix. Takes the message due longest ago,
    /// moving its due time to the lease's end; returns its hash as a flat list, or nil when none is due.
    /// </summary>
    public const string LeaseWebhook = Now + """
        for _ = 1, 16 do
          local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
          if #due == 0 then
            return false
          end
          local key = ARGV[3] .. due[1]
          if redis.call('EXISTS', key) == 1 then
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), due[1])
            redis.call('HSET', key, 'token', ARGV[1])
            return redis.call('HGETALL', key)
          end
          redis.call('ZREM', KEYS[1], due[1])
        end
        return false
        """;

    /// <summary>KEYS: webhooks due, message. ARGV: token, id. Removes a delivered (or given up) message; 1 when the lease was held.</summary>
    public const string CompleteWebhook = """
        if redis.call('HGET', KEYS[2], 'token') ~= ARGV[1] then
          return 0
        end
        redis.call('DEL', KEYS[2])
        redis.call('ZREM', KEYS[1], ARGV[2])
        return 1
        """;

    /// <summary>KEYS: webhooks due, message. ARGV: token, id, delay (ms), error. Counts a failed attempt and sets the next due time.</summary>
    public const string RetryWebhook = Now + """
        if redis.call('HGET', KEYS[2], 'token') ~= ARGV[1] then
          return 0
        end
        redis.call('HINCRBY', KEYS[2], 'attempts', 1)
        redis.call('HSET', KEYS[2], 'last_error', ARGV[4])
        redis.call('HDEL', KEYS[2], 'token')
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
        return 1
        """;

    /// <summary>KEYS: job, media. ARGV: name. The media content when the job completed, else nil.</summary>
    public const string GetMedia = """
        if redis.call('HGET', KEYS[1], 'status') ~= 'Completed' then
          return false
        end
        return redis.call('HGET', KEYS[2], ARGV[1])
        """;

    /// <summary>
    /// KEYS: stream. ARGV: group, idle limit (ms). Removes consumers that hold nothing and have not been
    /// seen for the limit; returns how many. Atomic, so a consumer cannot be handed an entry in between.
    /// </summary>
    public const string RemoveIdleConsumers = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          return 0
        end
        local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
        if not ok then
          return 0
        end
        local removed = 0
        local limit = tonumber(ARGV[2])
        for _, consumer in ipairs(consumers) do
          local info = {}
          for i = 1, #consumer, 2 do
            info[consumer[i]] = consumer[i + 1]
          end
          if tonumber(info['pending']) == 0 and tonumber(info['idle']) >= limit then
            redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
            removed = removed + 1
          end
        end
        return removed
        """;
}
