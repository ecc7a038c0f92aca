// The webhook outbox on Redis (keys described in RedisJobStore.cs, plus):
//   P webhooks:due      Sorted set. message id -> when it is due (ms): its retry time, or the end of the lease
//                       of the sender holding it. Leasing moves the score forward, so others skip it meanwhile.
//   P webhook:<id>      Hash. id, request, url, body, created, attempts, last_error, token (the holder's lease).
//   P settings          Hash. webhook_secret: the generated secret every process shares.
// A message is written by the Finish or Cancel script that ends its job, so a job never ends without it.
using Sam3Serve.Jobs.Webhooks;
using StackExchange.Redis;

namespace Sam3Serve.Jobs.Redis;

public sealed partial class RedisJobStore
{
    /// <inheritdoc />
    public async Task<LeasedWebhook?> LeaseNextWebhookAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var token = Guid.NewGuid().ToString("N");
        var result = await Db.ScriptEvaluateAsync(JobScripts.LeaseWebhook, [_keys.WebhooksDue], [token, Milliseconds(lease), _keys.WebhookPrefix]);
        if (result.IsNull)
        {
            return null;
        }
        var f = result.ToDictionary().ToDictionary(p => p.Key, p => (RedisValue)p.Value);
        var record = new WebhookRecord
        {
            Id = f["id"]!,
            RequestId = f["request"]!,
            Url = f["url"]!,
            Body = f["body"]!,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)f["created"]),
            Attempts = (int)f["attempts"],
            LastError = f.TryGetValue("last_error", out var e) && !e.IsNull ? e.ToString() : null,
        };
        return new LeasedWebhook(record, token);
    }

    /// <inheritdoc />
    public async Task<bool> CompleteWebhookAsync(LeasedWebhook leased, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        cancellationToken.ThrowIfCancellationRequested();
        var id = leased.Message.Id;
        return (int)await Db.ScriptEvaluateAsync(JobScripts.CompleteWebhook, [_keys.WebhooksDue, _keys.Webhook(id)], [leased.LeaseToken, id]) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> RetryWebhookAsync(LeasedWebhook leased, TimeSpan delay, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        cancellationToken.ThrowIfCancellationRequested();
        var id = leased.Message.Id;
        return (int)await Db.ScriptEvaluateAsync(JobScripts.RetryWebhook, [_keys.WebhooksDue, _keys.Webhook(id)],
            [leased.LeaseToken, id, Milliseconds(delay), error]) == 1;
    }

    /// <inheritdoc />
    public async Task<int> CountPendingWebhooksAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return (int)await Db.SortedSetLengthAsync(_keys.WebhooksDue);
    }

    /// <inheritdoc />
    public async Task<string> GetOrCreateWebhookSecretAsync(string candidate, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(candidate);
        cancellationToken.ThrowIfCancellationRequested();
        await Db.HashSetAsync(_keys.Settings, "webhook_secret", candidate, When.NotExists);
        return (await Db.HashGetAsync(_keys.Settings, "webhook_secret"))!;
    }

    private RedisKey WebhookKey(WebhookMessage? message) => _keys.Webhook(message?.Id ?? "none");

    private static void AddWebhookArgs(List<RedisValue> args, WebhookMessage? message, string requestId)
    {
        args.Add(message is null ? 0 : 1);
        args.Add(message?.Id ?? "");
        args.Add(message?.Url ?? "");
        args.Add(message?.Body ?? "");
        args.Add(requestId);
    }
}
