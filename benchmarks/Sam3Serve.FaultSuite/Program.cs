using System.Globalization;
using Sam3Serve.FaultSuite;
using Sam3Serve.FaultSuite.Chaos;
using Sam3Serve.FaultSuite.Hostile;
using Sam3Serve.FaultSuite.Load;
using Sam3Serve.FaultSuite.Processes;
using Sam3Serve.FaultSuite.Webhooks;

// The fault and load suite of issue 11. Loopback only; runs the built sam3serve (fixture bundle) and redis-server.
//   hostile [--requests 2000] [--concurrency 16]       malformed/hostile requests: zero 5xx, no crash, memory back to baseline
//   load    [--seconds 600] [--concurrency 0]          mixed v1/v2 load (0 = ramp 2,4,8,16 for 15 s each and take the best)
//   chaos   [--seconds 300] [--kills 5] [--concurrency 4]   load on the Redis store with kill -9 of the server and of Redis
// --keep leaves the work folder (server logs) in place. Exit code 0 when every check passed, 1 when one failed, 3 when something the run needs is missing.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: Sam3Serve.FaultSuite hostile|load|chaos [options]; see the comment at the top of Program.cs");
    return 2;
}
using var suite = await SuiteSetup.CreateAsync();
suite.Keep = args.Contains("--keep");
Console.WriteLine($"work folder {suite.Root}; {Environment.ProcessorCount} cores; webhooks {(suite.WebhooksSupported ? "supported" : "not supported by this build (the webhook check is skipped)")}");
return args[0] switch
{
    "hostile" => await HostileAsync(suite, Int("--requests", 2000), Int("--concurrency", 16), Int("--rounds", 1)),
    "load" => await LoadAsync(suite, TimeSpan.FromSeconds(Int("--seconds", 600)), Int("--concurrency", 0)),
    "chaos" => await ChaosAsync(suite, TimeSpan.FromSeconds(Int("--seconds", 300)), Int("--kills", 5), Int("--concurrency", 4)),
    _ => 2,
};

static async Task<int> HostileAsync(SuiteSetup suite, int requests, int concurrency, int rounds)
{
    using var server = suite.SqliteServer("hostile");
    await server.StartAsync(TimeSpan.FromSeconds(120));
    var baseline = await SuiteSetup.SteadyResidentAsync(server, suite.Key, 100);
    Console.WriteLine($"baseline RSS after 100 valid requests: {Mb(baseline)}");
    HostileReport report = null!;
    for (var round = 1; round <= rounds; round++)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        report = await HostileRun.RunAsync(server.Port, suite.Key, requests, concurrency, () => server.IsRunning, seed: 11 + round);
        Console.WriteLine($"round {round}: {report.Sent} hostile requests in {clock.Elapsed.TotalSeconds:F0} s, {concurrency} at a time; RSS {Mb(server.ResidentBytes())}");
        Console.WriteLine("answers: " + string.Join(", ", report.ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")) + $", no answer (cut off by design) ×{report.NoAnswer}");
        foreach (var (kind, statuses) in report.StatusesByKind)
        {
            Console.WriteLine($"  {kind,-18} {statuses}");
        }
        if (report.ServerErrors.Count > 0 || !report.ServerAlive)
        {
            break;
        }
    }
    foreach (var line in report.Accepted.Distinct().Take(12))
    {
        Console.WriteLine("  answered 2xx: " + line);
    }
    var peak = server.ResidentBytes();
    var after = await SuiteSetup.SteadyResidentAsync(server, suite.Key, 100);
    // Back to baseline: within a quarter of it or 64 MB, whichever is more (the GC keeps some of what it grew).
    var tolerance = Math.Max(baseline / 4, 64L << 20);
    var memoryOk = after <= baseline + tolerance;
    Console.WriteLine($"RSS right after the run {Mb(peak)}; after 100 valid requests and a pause {Mb(after)} (baseline {Mb(baseline)}, tolerance +{Mb(tolerance)}): {(memoryOk ? "back to baseline" : "NOT back to baseline")}");
    var unexpected = suite.UnexpectedFailuresLogged("hostile");
    Console.WriteLine($"5xx: {report.ServerErrors.Count(e => !e.Contains("no answer", StringComparison.Ordinal))}; whole requests without an answer: {report.ServerErrors.Count(e => e.Contains("no answer", StringComparison.Ordinal))}; " +
        $"server alive: {report.ServerAlive}; valid request afterwards: {(report.ValidRequestWorksAfter ? "200" : "FAILED")}; 'Unexpected failure' lines in the server log: {unexpected}");
    foreach (var error in report.ServerErrors.Take(20))
    {
        Console.WriteLine("  " + error);
    }
    return report.ServerErrors.Count == 0 && report.ServerAlive && report.ValidRequestWorksAfter && memoryOk && unexpected == 0 ? 0 : 1;
}

static async Task<int> LoadAsync(SuiteSetup suite, TimeSpan duration, int concurrency)
{
    // The webhook receiver listens on loopback, which the SSRF rules refuse unless allowed.
    using var server = suite.SqliteServer("load", [.. SuiteSetup.AllowLoopback, "--workers", "2"]);
    await server.StartAsync(TimeSpan.FromSeconds(120));
    await using var receiver = suite.WebhooksSupported ? await WebhookReceiver.StartAsync(suite.WebhookSecret) : null;
    var load = new MixedLoad(server.BaseAddress, suite.Key, SuiteSetup.LoadImage(), receiver?.Url);
    if (concurrency == 0)
    {
        var best = (Concurrency: 2, Throughput: 0.0);
        foreach (var c in new[] { 2, 4, 8, 16 })
        {
            var step = await load.RunAsync(TimeSpan.FromSeconds(15), c);
            Console.WriteLine($"ramp: concurrency {c,2}: {step.Throughput:F1} requests/s, v1 p99 {LoadReport.Percentile(step.V1LatencyMs, 0.99):F0} ms, v2 p99 {LoadReport.Percentile(step.V2LatencyMs, 0.99):F0} ms");
            if (step.Throughput > best.Throughput * 1.05)
            {
                best = (c, step.Throughput);
            }
        }
        concurrency = best.Concurrency;
        Console.WriteLine($"highest sustained rate at concurrency {concurrency}");
    }
    var report = await load.RunAsync(duration, concurrency);
    await load.SettleAsync(report.Accepted, TimeSpan.FromMinutes(2));
    var lost = report.Accepted.Count(r => r.Final is not ("COMPLETED" or "FAILED"));
    var v1Lost = report.V1Outcomes.Where(o => o.Key is "connection error" or "timeout").Sum(o => o.Value);
    PrintLoad(report);
    Console.WriteLine($"lost: {lost} accepted /v2 requests without a final state, {v1Lost} /v1 requests without an answer");
    var hooks = 0;
    if (receiver is not null)
    {
        // Only this run's requests (the ramp's deliveries are in the receiver too).
        var ids = report.Accepted.Select(r => r.Id).ToHashSet();
        var deliveries = receiver.Deliveries.Where(d => ids.Contains(d.RequestId)).ToList();
        var delivered = deliveries.Select(d => d.RequestId).ToHashSet();
        hooks = ids.Count(id => !delivered.Contains(id));
        Console.WriteLine($"webhooks: {deliveries.Count} deliveries for {ids.Count} requests ({deliveries.Count - delivered.Count} repeated); " +
            $"not delivered: {hooks}; bad signatures: {deliveries.Count(d => d.SignatureValid == false)}");
    }
    var serverErrors = report.V1Outcomes.Concat(report.V2SubmitOutcomes).Where(o => o.Key.StartsWith('5')).Sum(o => o.Value);
    return lost == 0 && v1Lost == 0 && serverErrors == 0 && hooks == 0 ? 0 : 1;
}

static async Task<int> ChaosAsync(SuiteSetup suite, TimeSpan duration, int kills, int concurrency)
{
    if (RedisProcess.FindBinary() is not { } binary)
    {
        Console.WriteLine("redis-server is not on PATH: the chaos run needs it");
        return 3;
    }
    using var redis = await RedisProcess.StartAsync(binary, Path.Combine(suite.Root, "redis"));
    using var server = await suite.RedisServerAsync("chaos", redis.Endpoint);
    await server.StartAsync(TimeSpan.FromSeconds(120));
    await using var receiver = suite.WebhooksSupported ? await WebhookReceiver.StartAsync(suite.WebhookSecret) : null;
    var load = new MixedLoad(server.BaseAddress, suite.Key, SuiteSetup.LoadImage(), receiver?.Url);
    var chaos = new ChaosRun(server, redis, load, receiver);
    var report = await chaos.RunAsync(duration, concurrency, kills, kills, TimeSpan.FromMinutes(5), Console.WriteLine);
    PrintLoad(report.Load);
    Console.WriteLine($"accepted /v2: {report.Load.Accepted.Count}; COMPLETED {report.Completed}, FAILED {report.Failed}, without a final state {report.NotEnded.Count}");
    foreach (var line in report.NotEnded.Take(20))
    {
        Console.WriteLine("  " + line);
    }
    Console.WriteLine(report.WebhooksChecked
        ? $"webhooks: {report.WebhookDeliveries} deliveries, {report.WebhooksMissing.Count} requests never delivered, {report.BadSignatures} bad signatures"
        : "webhooks: not checked (this build has no webhook support)");
    return report.NotEnded.Count == 0 && report.WebhooksMissing.Count == 0 && report.BadSignatures == 0 ? 0 : 1;
}

static void PrintLoad(LoadReport report)
{
    Console.WriteLine($"{report.Duration.TotalSeconds:F0} s at concurrency {report.Concurrency}: {report.Throughput:F1} requests/s answered or accepted");
    Console.WriteLine($"  /v1: {report.V1Sent} sent; " + string.Join(", ", report.V1Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}×{o.Value}")) +
        $"; latency p50 {LoadReport.Percentile(report.V1LatencyMs, 0.5):F0} ms, p99 {LoadReport.Percentile(report.V1LatencyMs, 0.99):F0} ms");
    Console.WriteLine($"  /v2: {report.V2Submitted} submitted; " + string.Join(", ", report.V2SubmitOutcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}×{o.Value}")) +
        $"; submit to COMPLETED p50 {LoadReport.Percentile(report.V2LatencyMs, 0.5):F0} ms, p99 {LoadReport.Percentile(report.V2LatencyMs, 0.99):F0} ms");
}

static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):F0} MB";

int Int(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
