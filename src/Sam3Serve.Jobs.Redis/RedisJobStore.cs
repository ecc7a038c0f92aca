// Design note: the Redis job store.
//
// Keys (P = RedisOptions.KeyPrefix, default "sam3serve:"):
//   P jobs:stream       Stream. One entry { id } per job that is queued or processing; the queue itself.
//   P jobs:leases       Sorted set. id -> lease deadline (server ms) of every job being processed.
//   P job:<id>          Hash. The job row: id, key, status (Queued|Processing|Completed|Failed), request,
//                       url, price (micro-credits), created, started, finished, expires (server ms),
//                       attempts, output, error, failure_kind, failure_status, metrics, entry (its stream entry id), owner, token, lease_until.
//   P job:<id>:input    String. The inline input image; deleted when the job finishes.
//   P job:<id>:media    Hash. Result image name -> bytes, written by the finishing step.
//
// Flow. Enqueue writes the hash (and input) and XADDs the id in one Lua script, so there is never a hash
// without its stream entry or the reverse. The group (RedisOptions.ConsumerGroup) starts at 0 and is
// created on first use. LeaseNext, one script: if some job's deadline in jobs:leases has passed (its worker
// died or stalled), XCLAIM its pending entry to the caller; otherwise XREADGROUP ">" COUNT 1 as consumer
// workerId, without BLOCK (the multiplexer shares one socket; the caller polls and backs off). Either way
// the hash gets status Processing, a fresh GUID token, attempts + 1 and the new deadline. Renew checks the
// token, moves the deadline and XCLAIMs the entry to its own consumer (resetting its idle time). Finish
// checks token and status, writes the outcome and media, XACKs and XDELs the entry, removes the deadline
// and sets the retention as PEXPIREAT on the hash and media; a second finish (a stale worker, or the same
// one twice) finds the token or status changed and changes nothing. Delivery is at least once (a job is
// retried after a lost lease); completion is exactly once.
//
// A lease on Redis is: the token in the hash (the proof of ownership), the deadline in jobs:leases (when
// others may take over) and the entry in the group's pending list owned by that consumer (what XPENDING
// shows; XACK ends it). The deadline, not the pending entry's idle time, decides a takeover, because the
// holder chose the lease length: XAUTOCLAIM has one idle limit for all entries, so a worker asking for a
// long lease could not take over a job whose holder asked for a short one.
//
// Expired jobs vanish by key expiry (PurgeExpiredAsync has nothing to delete); XLEN of the stream is the
// queue depth since finished entries are deleted. The server must not evict keys (maxmemory-policy
// noeviction) and should persist with appendonly yes; appendfsync decides what an OS crash may lose.
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Webhooks;
using StackExchange.Redis;

namespace Sam3Serve.Jobs.Redis;

/// <summary>
/// The scale-out job store: the queue is a Redis Stream read through a consumer group, jobs and results
/// are hashes that expire with their retention. Any number of API and worker processes can share it.
/// </summary>
public sealed partial class RedisJobStore : IJobStore, IWebhookOutbox, IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly RedisOptions _options;
    private readonly RedisKeys _keys;

    /// <summary>A store on a multiplexer that the caller shares and disposes.</summary>
    public RedisJobStore(IConnectionMultiplexer redis, RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConsumerGroup);
        _redis = redis;
        _options = options;
        _keys = new RedisKeys(options.KeyPrefix);
    }

    /// <summary>A store that connects with <paramref name="options"/> and closes the connection on dispose.</summary>
    public RedisJobStore(RedisOptions options)
        : this(RedisConnection.Connect(options), options)
    {
        _ownsConnection = true;
    }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public async Task EnqueueAsync(NewJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await Db.ScriptEvaluateAsync(JobScripts.Enqueue,
            [_keys.Job(job.Id), _keys.Input(job.Id), _keys.Stream],
            [
                job.Id, job.KeyId, job.RequestJson,
                job.ImageUrl is null ? 0 : 1, job.ImageUrl ?? "",
                job.InlineImage is null ? 0 : 1, job.InlineImage ?? [],
                Micro.From(job.Price),
                job.Webhook is null ? 0 : 1, job.Webhook ?? "", job.BaseUrl ?? "",
            ]);
        if ((int)result == 0)
        {
            throw new InvalidOperationException($"a job with id '{job.Id}' already exists");
        }
    }

    /// <inheritdoc />
    public async Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var fields = await Db.HashGetAllAsync(_keys.Job(id));
        return fields.Length == 0 ? null : JobHash.Read(fields.ToDictionary(f => f.Name.ToString(), f => f.Value));
    }

    /// <inheritdoc />
    public async Task<LeasedJob?> LeaseNextAsync(string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        cancellationToken.ThrowIfCancellationRequested();
        var token = Guid.NewGuid().ToString("N");
        RedisValue[] args = [_options.ConsumerGroup, workerId, token, Milliseconds(lease), _keys.JobPrefix];
        RedisResult result;
        try
        {
            result = await Db.ScriptEvaluateAsync(JobScripts.LeaseNext, [_keys.Stream, _keys.Leases], args);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOGROUP", StringComparison.Ordinal))
        {
            await EnsureGroupAsync();
            result = await Db.ScriptEvaluateAsync(JobScripts.LeaseNext, [_keys.Stream, _keys.Leases], args);
        }
        if (result.IsNull)
        {
            return null;
        }
        return new LeasedJob(JobHash.Read(result.ToDictionary().ToDictionary(p => p.Key, p => (RedisValue)p.Value)), token);
    }

    /// <inheritdoc />
    public async Task<bool> RenewLeaseAsync(LeasedJob leased, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        cancellationToken.ThrowIfCancellationRequested();
        var id = leased.Job.Id;
        var result = await Db.ScriptEvaluateAsync(JobScripts.Renew,
            [_keys.Job(id), _keys.Leases, _keys.Stream],
            [leased.LeaseToken, Milliseconds(lease), _options.ConsumerGroup, id]);
        return (int)result == 1;
    }

    /// <inheritdoc />
    public async Task<bool> SetStageAsync(LeasedJob leased, string stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await Db.ScriptEvaluateAsync(JobScripts.SetStage, [_keys.Job(leased.Job.Id)], [leased.LeaseToken, stage]);
        return (int)result == 1;
    }

    /// <inheritdoc />
    public async Task<bool> FinishAsync(LeasedJob leased, JobOutcome outcome, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        ArgumentNullException.ThrowIfNull(outcome);
        cancellationToken.ThrowIfCancellationRequested();
        var id = leased.Job.Id;
        var args = new List<RedisValue>(15 + outcome.Media.Count * 2)
        {
            leased.LeaseToken,
            (outcome.Succeeded ? JobStatus.Completed : JobStatus.Failed).ToString(),
            outcome.OutputJson is null ? 0 : 1, outcome.OutputJson ?? "",
            outcome.Error is null ? 0 : 1, outcome.Error ?? "",
            outcome.MetricsJson,
            Milliseconds(retention),
            _options.ConsumerGroup,
            id,
        };
        AddWebhookArgs(args, outcome.Webhook, id);
        args.Add(outcome.Failure?.Kind.ToString() ?? "");
        args.Add(outcome.Failure?.Status ?? 0);
        foreach (var file in outcome.Media)
        {
            args.Add(file.Name);
            args.Add(file.Content);
        }
        var result = await Db.ScriptEvaluateAsync(JobScripts.Finish,
            [_keys.Job(id), _keys.Leases, _keys.Stream, _keys.Media(id), _keys.Input(id), WebhookKey(outcome.Webhook), _keys.WebhooksDue],
            [.. args]);
        return (int)result == 1;
    }

    /// <inheritdoc />
    public async Task<bool> CancelAsync(string id, JobOutcome outcome, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        cancellationToken.ThrowIfCancellationRequested();
        var args = new List<RedisValue>
        {
            outcome.Error ?? "cancelled", outcome.MetricsJson, Milliseconds(retention), _options.ConsumerGroup, id, _keys.CancelledChannel,
        };
        AddWebhookArgs(args, outcome.Webhook, id);
        var failure = outcome.Failure ?? JobFailure.Of(FailureKind.Cancelled);
        args.Add(failure.Kind.ToString());
        args.Add(failure.Status);
        var result = await Db.ScriptEvaluateAsync(JobScripts.Cancel,
            [_keys.Job(id), _keys.Leases, _keys.Stream, _keys.Input(id), WebhookKey(outcome.Webhook), _keys.WebhooksDue],
            [.. args]);
        return (int)result == 1;
    }

    /// <inheritdoc />
    /// <remarks>Redis pub/sub: a notice published while this process is disconnected is lost (renewals catch it).</remarks>
    public async Task SubscribeCancellationsAsync(Action<string> onCancelled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onCancelled);
        cancellationToken.ThrowIfCancellationRequested();
        await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(_keys.CancelledChannel), (_, message) =>
        {
            if (!message.IsNullOrEmpty)
            {
                onCancelled(message!);
            }
        });
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetInputImageAsync(string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return (byte[]?)await Db.StringGetAsync(_keys.Input(id));
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetMediaAsync(string id, string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await Db.ScriptEvaluateAsync(JobScripts.GetMedia, [_keys.Job(id), _keys.Media(id)], [name]);
        return result.IsNull ? null : (byte[]?)result;
    }

    /// <inheritdoc />
    public async Task<int> CountPendingAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return (int)await Db.StreamLengthAsync(_keys.Stream);
    }

    /// <summary>
    /// Finished jobs expire by themselves (their keys carry the retention as TTL), so this returns 0. It
    /// removes the group's consumers that hold nothing and were idle past <see cref="RedisOptions.IdleConsumerTimeout"/>.
    /// </summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Db.ScriptEvaluateAsync(JobScripts.RemoveIdleConsumers, [_keys.Stream],
            [_options.ConsumerGroup, Milliseconds(_options.IdleConsumerTimeout)]);
        return 0;
    }

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        // While the multiplexer reconnects, commands wait in its backlog for seconds: answer at once instead.
        if (!_redis.IsConnected)
        {
            return false;
        }
        try
        {
            await Db.PingAsync().WaitAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsConnection)
        {
            _redis.Dispose();
        }
    }

    private async Task EnsureGroupAsync()
    {
        try
        {
            // From the start of the stream: jobs enqueued before any worker ever ran are still delivered.
            await Db.StreamCreateConsumerGroupAsync(_keys.Stream, _options.ConsumerGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another process created it first.
        }
    }

    private static long Milliseconds(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);
}

/// <summary>Reads the job hash written by the scripts.</summary>
internal static class JobHash
{
    public static JobRecord Read(IReadOnlyDictionary<string, RedisValue> f) => new()
    {
        Id = f["id"]!,
        KeyId = f["key"]!,
        Status = Enum.Parse<JobStatus>(f["status"]!),
        RequestJson = f["request"]!,
        ImageUrl = Text(f, "url"),
        Price = Micro.To((long)f["price"]),
        CreatedAt = Instant(f, "created")!.Value,
        StartedAt = Instant(f, "started"),
        FinishedAt = Instant(f, "finished"),
        ExpiresAt = Instant(f, "expires"),
        OutputJson = Text(f, "output"),
        Error = Text(f, "error"),
        MetricsJson = Text(f, "metrics") ?? "{}",
        Attempts = (int)f["attempts"],
        Stage = Text(f, "stage"),
        Webhook = Text(f, "webhook"),
        BaseUrl = Text(f, "base"),
        Failure = Text(f, "failure_kind") is { } kind
            ? new JobFailure(Enum.TryParse<FailureKind>(kind, out var k) ? k : FailureKind.Internal, (int)f["failure_status"])
            : null,
    };

    private static string? Text(IReadOnlyDictionary<string, RedisValue> f, string name) =>
        f.TryGetValue(name, out var v) && !v.IsNull ? v.ToString() : null;

    private static DateTimeOffset? Instant(IReadOnlyDictionary<string, RedisValue> f, string name) =>
        f.TryGetValue(name, out var v) && !v.IsNull
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)v)
            : null;
}
