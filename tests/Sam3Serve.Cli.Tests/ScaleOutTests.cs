using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Cli.Tests;

/// <summary>
/// Scale-out on Redis with the real program: 2 API processes and 3 workers over one Redis; 200 v2
/// requests from concurrent clients; one worker killed with SIGKILL mid-run and Redis restarted once.
/// Every accepted request must end COMPLETED or FAILED and the credits must add up exactly.
/// </summary>
public sealed class ScaleOutTests : IDisposable
{
    private const int Requests = 200;
    private const decimal StartingCredits = 1000;
    private readonly TempDir _root = new("sam3serve-scale");
    private readonly List<(Process Process, StringBuilder Log)> _processes = [];

    [Fact]
    public async Task Redis_TwoApisThreeWorkers_WorkerKilledAndRedisRestarted_NothingLostCreditsExact()
    {
        using var redis = await OwnRedisServer.StartOrSkipAsync();
        var modelDir = Path.Combine(_root.Path, "model");
        Assert.Equal(0, (await CliRunner.RunAsync("models", "fixture", "--out", modelDir)).ExitCode);
        var created = await CliRunner.RunAsync("keys", "create", "--name", "scale", "--credits", "1000", "--store", "redis", "--redis", redis.Endpoint);
        Assert.True(created.ExitCode == 0, created.StdOut + created.StdErr);
        var key = created.StdOut.Trim().Split('\n')[^1].Trim();

        var apiPorts = new[] { CliRunner.FreePort(), CliRunner.FreePort() };
        foreach (var port in apiPorts)
        {
            Start(port, "api", redis.Endpoint, modelDir);
        }
        var workers = new List<Process>();
        for (var i = 0; i < 3; i++)
        {
            workers.Add(Start(CliRunner.FreePort(), "worker", redis.Endpoint, modelDir));
        }
        foreach (var (process, log) in _processes)
        {
            await WaitReadyAsync(process, log);
        }

        var clients = apiPorts.Select(p =>
        {
            var c = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{p}"), Timeout = TimeSpan.FromSeconds(120) };
            c.DefaultRequestHeaders.Add("x-api-key", key);
            return c;
        }).ToArray();
        var image = Convert.ToBase64String(await File.ReadAllBytesAsync(SharedPaths.Image("oven.jpg")));
        var accepted = new ConcurrentBag<string>();
        var submitted = 0;
        var redisRestarted = false;
        var workerKilled = false;
        var chaos = new SemaphoreSlim(1, 1);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async clientIndex =>
        {
            while (true)
            {
                var n = Interlocked.Increment(ref submitted);
                if (n > Requests)
                {
                    return;
                }
                var client = clients[n % clients.Length];
                // Clients retry a refused submit, as Segmind clients do (the API answers 5xx while Redis is down).
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        var response = await client.PostAsJsonAsync("/v2/sam3-image", new { image, text_prompt = "red", return_overlay = true });
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                            accepted.Add(body["request_id"]!.GetValue<string>());
                            break;
                        }
                        Assert.True((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests,
                            $"submit answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    }
                    catch (HttpRequestException) when (attempt < 200)
                    {
                    }
                    catch (TaskCanceledException) when (attempt < 200)
                    {
                    }
                    Assert.True(attempt < 200, "a submit kept failing");
                    await Task.Delay(250);
                }

                await chaos.WaitAsync();
                try
                {
                    if (n >= 60 && !workerKilled)
                    {
                        workerKilled = true;
                        workers[0].Kill(entireProcessTree: true); // SIGKILL, very likely mid-job
                    }
                    if (n >= 120 && !redisRestarted)
                    {
                        redisRestarted = true;
                        await redis.ShutdownAsync();
                        await Task.Delay(500);
                        await redis.StartAsync();
                    }
                }
                finally
                {
                    chaos.Release();
                }
            }
        }));

        Assert.True(workerKilled && redisRestarted);
        Assert.Equal(Requests, accepted.Count);
        var ids = accepted.ToList();
        var statuses = new Dictionary<string, string>();
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var id in ids.Where(i => !statuses.ContainsKey(i)).ToList())
            {
                var response = await clients[0].GetAsync($"/v2/requests/{id}/status");
                var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]?.GetValue<string>();
                Assert.True(response.StatusCode != HttpStatusCode.NotFound, $"request {id} is missing");
                if (status is "COMPLETED" or "FAILED")
                {
                    statuses[id] = status;
                }
            }
            if (statuses.Count == ids.Count)
            {
                break;
            }
            await Task.Delay(500);
        }
        Assert.True(statuses.Count == ids.Count, $"{ids.Count - statuses.Count} requests never finished; logs:\n{Logs()}");

        var completed = statuses.Values.Count(s => s == "COMPLETED");
        Assert.True(completed >= Requests * 9 / 10, $"only {completed} of {Requests} completed");
        // Credits: charged once per COMPLETED request, nothing held once everything finished.
        var credits = JsonNode.Parse(await clients[1].GetStringAsync("/v1/get-user-credits"))!;
        var keys = await CliRunner.RunAsync("keys", "list", "--store", "redis", "--redis", redis.Endpoint);
        var row = keys.StdOut.Split('\n').Single(l => l.StartsWith("scale ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (balance, reserved) = (decimal.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture));
        var diagnostics = $"{completed} completed, available {credits["credits"]}; keys:\n{keys.StdOut}\nwarnings:\n{Warnings()}";
        // Charged exactly once per COMPLETED request.
        Assert.True(StartingCredits - completed == balance, diagnostics);
        // Nothing stays held, except possibly one hold of the killed worker if SIGKILL fell between its job's
        // finish and its charge (a known gap: holds are not reconciled yet); the API reports what is available.
        Assert.True(reserved <= 1, diagnostics);
        Assert.Equal(balance - reserved, credits["credits"]!.GetValue<decimal>());
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    private Process Start(int port, string role, string redis, string modelDir)
    {
        var process = CliRunner.Start("serve", "--role", role, "--store", "redis", "--redis", redis,
            "--urls", $"http://127.0.0.1:{port}", "--model-dir", modelDir, "--offline", "--lease-seconds", "4",
            "--data-dir", Path.Combine(_root.Path, $"data-{port}"));
        var log = CliRunner.Capture(process);
        _processes.Add((process, log));

        _ports[process] = port;
        return process;
    }

    private readonly Dictionary<Process, int> _ports = [];

    private async Task WaitReadyAsync(Process process, StringBuilder log)
    {
        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_ports[process]}") };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"a server exited: {log}");
            try
            {
                if ((await probe.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"server on port {_ports[process]} not ready: {log}");
    }

    private string Warnings()
    {
        var lines = new StringBuilder();
        foreach (var (_, log) in _processes)
        {
            lock (log)
            {
                foreach (var line in log.ToString().Split('\n').Where(l => l.Contains("warn:") || l.Contains("fail:") || l.Contains("crit:")))
                {
                    lines.AppendLine(line.Length > 300 ? line[..300] : line);
                }
            }
        }
        return lines.ToString();
    }

    private string Logs()
    {
        var all = new StringBuilder();
        foreach (var (process, log) in _processes)
        {
            lock (log)
            {
                all.AppendLine($"--- port {_ports[process]} ---").Append(log.ToString().Length > 4000 ? log.ToString()[^4000..] : log.ToString());
            }
        }
        return all.ToString();
    }

    public void Dispose()
    {
        CliRunner.KillAll(_processes.Select(p => p.Process));
        _root.Dispose();
    }
}
