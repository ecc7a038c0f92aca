using System.Diagnostics;
using Sam3Serve.FaultSuite.Load;
using Sam3Serve.FaultSuite.Processes;
using Sam3Serve.FaultSuite.Webhooks;

namespace Sam3Serve.FaultSuite.Chaos;

/// <summary>One kill -9 and what followed.</summary>
/// <param name="Target">"server" or "redis".</param>
/// <param name="At">Seconds into the run.</param>
/// <param name="DownSeconds">How long it stayed down before the restart.</param>
public sealed record ChaosEvent(string Target, double At, double DownSeconds);

/// <summary>The figures of a chaos run.</summary>
public sealed record ChaosReport(
    LoadReport Load,
    IReadOnlyList<ChaosEvent> Events,
    int Completed,
    int Failed,
    IReadOnlyList<string> NotEnded,
    bool WebhooksChecked,
    int WebhooksExpected,
    IReadOnlyList<string> WebhooksMissing,
    int WebhookDeliveries,
    int BadSignatures);

/// <summary>
/// Mixed load against a server on the Redis store while the server and Redis are each killed with SIGKILL
/// at random moments (one at a time, each restarted after a short random pause); afterwards every accepted
/// request must end COMPLETED or FAILED and, when the server supports webhooks, every one must have been
/// delivered to the loopback receiver at least once.
/// </summary>
public sealed class ChaosRun(ServerProcess server, RedisProcess redis, MixedLoad load, WebhookReceiver? receiver, int seed = 3)
{
    private readonly Random _random = new(seed);

    /// <summary>Runs the load for <paramref name="duration"/> with <paramref name="serverKills"/> and <paramref name="redisKills"/> kills spread over it.</summary>
    public async Task<ChaosReport> RunAsync(TimeSpan duration, int concurrency, int serverKills, int redisKills, TimeSpan settleWithin, Action<string> log)
    {
        var targets = Enumerable.Repeat("server", serverKills).Concat(Enumerable.Repeat("redis", redisKills)).OrderBy(_ => _random.Next()).ToList();
        var events = new List<ChaosEvent>();
        var clock = Stopwatch.StartNew();
        var running = load.RunAsync(duration, concurrency);
        // Leave the first and last tenth of the run free of kills, and spread the kills evenly, with jitter, between.
        var slot = duration * 0.8 / Math.Max(1, targets.Count);
        for (var i = 0; i < targets.Count; i++)
        {
            var at = (duration * 0.1) + (slot * i) + (slot * 0.5 * _random.NextDouble());
            if (at > clock.Elapsed)
            {
                await Task.Delay(at - clock.Elapsed);
            }
            var down = TimeSpan.FromMilliseconds(300 + _random.Next(2000));
            var killedAt = clock.Elapsed.TotalSeconds;
            if (targets[i] == "server")
            {
                server.Kill9();
                log($"{killedAt,7:F1} s  kill -9 server");
                await Task.Delay(down);
                await server.StartAsync(TimeSpan.FromSeconds(120));
            }
            else
            {
                redis.Kill9();
                log($"{killedAt,7:F1} s  kill -9 redis-server");
                await Task.Delay(down);
                await redis.StartAsync();
            }
            log($"{clock.Elapsed.TotalSeconds,7:F1} s  {targets[i]} back");
            events.Add(new ChaosEvent(targets[i], killedAt, down.TotalSeconds));
        }
        var report = await running;
        log($"load over; settling {report.Accepted.Count} accepted /v2 requests");
        await load.SettleAsync(report.Accepted, settleWithin);
        var notEnded = report.Accepted.Where(r => r.Final is not ("COMPLETED" or "FAILED")).Select(r => $"{r.Id}: {r.Final ?? "no final state"}").ToList();

        var missing = new List<string>();
        var expected = report.Accepted.Count(r => r.WithWebhook && r.Final is "COMPLETED" or "FAILED");
        if (receiver is not null)
        {
            // Deliveries are retried with backoff; wait for the stragglers (bounded).
            var deadline = DateTime.UtcNow + settleWithin;
            do
            {
                var delivered = receiver.Deliveries.Select(d => d.RequestId).ToHashSet();
                missing = [.. report.Accepted.Where(r => r.WithWebhook && !delivered.Contains(r.Id)).Select(r => r.Id)];
                if (missing.Count == 0)
                {
                    break;
                }
                await Task.Delay(1000);
            }
            while (DateTime.UtcNow < deadline);
        }
        return new ChaosReport(report, events,
            report.Accepted.Count(r => r.Final == "COMPLETED"), report.Accepted.Count(r => r.Final == "FAILED"), notEnded,
            receiver is not null, expected, missing,
            receiver?.Deliveries.Count ?? 0, receiver?.Deliveries.Count(d => d.SignatureValid == false) ?? 0);
    }
}
