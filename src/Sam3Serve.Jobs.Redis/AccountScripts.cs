namespace Sam3Serve.Jobs.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisAccountStore"/>: each balance change reads and writes in one atomic
/// step on the server, so API processes sharing the store can never overspend. Amounts are integer
/// micro-credits (exact in Lua's doubles below 2^53, i.e. nine billion credits).
/// </summary>
internal static class AccountScripts
{
    /// <summary>
    /// KEYS: key hash, by-name index, by-hash index. ARGV: id, name, key hash, prefix, created (ms),
    /// has credits, credits, has rpm, rpm. Returns 0 when the name is taken, else 1.
    /// </summary>
    public const string Create = """
        if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
          return 0
        end
        redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'hash', ARGV[3], 'prefix', ARGV[4],
          'created', ARGV[5], 'reserved', 0, 'disabled', 0)
        if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'credits', ARGV[7]) end
        if ARGV[8] == '1' then redis.call('HSET', KEYS[1], 'rpm', ARGV[9]) end
        redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
        redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
        return 1
        """;

    /// <summary>KEYS: by-name index. ARGV: key prefix, name. Disables the key; returns its id or nil.</summary>
    public const string Revoke = """
        local id = redis.call('HGET', KEYS[1], ARGV[2])
        if not id then return false end
        redis.call('HSET', ARGV[1] .. id, 'disabled', 1)
        return id
        """;

    /// <summary>KEYS: by-name index. ARGV: key prefix, name, amount (micro). Returns the key's id or nil.</summary>
    public const string AddCredits = """
        local id = redis.call('HGET', KEYS[1], ARGV[2])
        if not id then return false end
        -- A missing field counts as 0: an unlimited key gets a balance of the amount.
        redis.call('HINCRBY', ARGV[1] .. id, 'credits', ARGV[3])
        return id
        """;

    /// <summary>
    /// KEYS: key hash, holds hash. ARGV: price (micro), hold id. Holds the price for the hold id unless the
    /// available balance would go below zero; a hold id already held answers reserved again without holding
    /// twice. Returns { reserved 0|1, limited 0|1, available after }; unknown keys return { 0, 0, 0 }.
    /// </summary>
    public const string Reserve = """
        local key = redis.call('HMGET', KEYS[1], 'id', 'credits', 'reserved')
        if not key[1] then return { 0, 0, 0 } end
        local price = tonumber(ARGV[1])
        local reserved = tonumber(key[3] or '0')
        local held = redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1
        if not key[2] then
          if not held then
            redis.call('HINCRBY', KEYS[1], 'reserved', price)
            redis.call('HSET', KEYS[2], ARGV[2], price)
          end
          return { 1, 0, 0 }
        end
        local credits = tonumber(key[2])
        if held then return { 1, 1, credits - reserved } end
        if credits - reserved >= price then
          reserved = redis.call('HINCRBY', KEYS[1], 'reserved', price)
          redis.call('HSET', KEYS[2], ARGV[2], price)
          return { 1, 1, credits - reserved }
        end
        return { 0, 1, credits - reserved }
        """;

    /// <summary>
    /// KEYS: key hash, holds hash. ARGV: hold id, charge 0|1. Ends the hold once (a settled or unknown hold
    /// changes nothing) and, when charging, takes its price off a limited balance.
    /// Returns { limited 0|1, available after }.
    /// </summary>
    public const string Settle = """
        local key = redis.call('HMGET', KEYS[1], 'id', 'credits', 'reserved')
        if not key[1] then return { 0, 0 } end
        local price = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
        local reserved = tonumber(key[3] or '0')
        local credits = key[2] and tonumber(key[2])
        if price >= 0 then
          redis.call('HDEL', KEYS[2], ARGV[1])
          reserved = math.max(reserved - price, 0)
          redis.call('HSET', KEYS[1], 'reserved', reserved)
          if credits and ARGV[2] == '1' then
            credits = redis.call('HINCRBY', KEYS[1], 'credits', -price)
          end
        end
        if not credits then return { 0, 0 } end
        return { 1, credits - reserved }
        """;

    /// <summary>
    /// KEYS: rate window. Counts one request in the key's current one-minute window (it starts with the
    /// window's first request and expires with it). Returns { count, ms until the window ends }.
    /// </summary>
    public const string Rate = """
        local count = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], 60000)
          ttl = 60000
        end
        return { count, ttl }
        """;
}
