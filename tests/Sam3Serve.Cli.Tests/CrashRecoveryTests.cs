using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Cli.Tests;

/// <summary>
/// The durability promise, on the real program: accepted v2 requests survive <c>kill -9</c>. Serves the
/// fixture bundle, submits a batch, kills the server mid-queue, restarts it on the same data dir, and
/// checks that every request id ends COMPLETED or FAILED.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly TempDir _root = new("sam3serve-crash");
    private readonly List<Process> _processes = [];

    [Fact]
    public async Task Serve_KilledMidQueue_EveryAcceptedRequestFinishesAfterRestart()
    {
        var modelDir = Path.Combine(_root.Path, "model");
        var dataDir = Path.Combine(_root.Path, "data");
        var fixture = await CliRunner.RunAsync("models", "fixture", "--out", modelDir);
        Assert.True(fixture.ExitCode == 0, fixture.StdOut + fixture.StdErr);
        var created = await CliRunner.RunAsync("keys", "create", "--name", "crash-test", "--data-dir", dataDir);
        Assert.True(created.ExitCode == 0, created.StdOut + created.StdErr);
        var key = created.StdOut.Trim().Split('\n')[^1].Trim();

        var port = CliRunner.FreePort();
        var (server, log) = await StartServerAsync(port, modelDir, dataDir);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", key);

        // A landscape photo in automatic mode: slow enough on the fixture that the queue is still full when we kill.
        var image = Convert.ToBase64String(await File.ReadAllBytesAsync(SharedPaths.Image("dog.jpg")));
        var ids = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            var response = await client.PostAsJsonAsync("/v2/sam3-image", new { image, points_per_side = 16, return_overlay = true });
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            ids.Add(body["request_id"]!.GetValue<string>());
        }

        // Kill as soon as the first request has finished, while the rest are queued or running.
        await WaitUntilAsync(async () => (await StatusesAsync(client, ids)).Any(s => s is "COMPLETED" or "FAILED"), TimeSpan.FromSeconds(120), log);
        server.Kill(entireProcessTree: true); // SIGKILL: no draining, no cleanup
        await server.WaitForExitAsync();
        var before = await StatusesAfterKillAsync(ids, dataDir);
        Assert.Contains(before, s => s is "QUEUED" or "PROCESSING");

        (server, log) = await StartServerAsync(port, modelDir, dataDir);
        await WaitUntilAsync(async () => (await StatusesAsync(client, ids)).All(s => s is "COMPLETED" or "FAILED"), TimeSpan.FromSeconds(240), log);

        var after = await StatusesAsync(client, ids);
        Assert.Equal(ids.Count, after.Count);
        Assert.All(after, s => Assert.True(s is "COMPLETED" or "FAILED", $"status {s}"));
        Assert.Contains("COMPLETED", after);
        // A completed request's result and media survive too.
        var result = JsonNode.Parse(await client.GetStringAsync($"/v2/requests/{ids[^1]}"))!;
        var overlay = result["output"]!["overlay"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(overlay)).StatusCode);
    }

    [Fact]
    public async Task Serve_FirstStart_CreatesKeyPrintsItOnceAndSavesItPrivately()
    {
        var modelDir = Path.Combine(_root.Path, "model");
        var dataDir = Path.Combine(_root.Path, "fresh-data");
        Assert.Equal(0, (await CliRunner.RunAsync("models", "fixture", "--out", modelDir)).ExitCode);
        var port = CliRunner.FreePort();
        var (server, log) = await StartServerAsync(port, modelDir, dataDir);

        var keyFile = Path.Combine(dataDir, "api-key.txt");
        Assert.True(File.Exists(keyFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
        var key = (await File.ReadAllTextAsync(keyFile)).Trim();
        lock (log)
        {
            Assert.Contains(key, log.ToString());
        }
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Add("x-api-key", key);
        var credits = await client.GetAsync("/v1/get-user-credits");
        Assert.Equal(HttpStatusCode.OK, credits.StatusCode);

        // keys commands work beside the running server, which sees the change at once.
        Assert.Equal(0, (await CliRunner.RunAsync("keys", "revoke", "default", "--data-dir", dataDir)).ExitCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/get-user-credits")).StatusCode);
        var list = await CliRunner.RunAsync("keys", "list", "--data-dir", dataDir);
        Assert.Contains("revoked", list.StdOut);
        Assert.DoesNotContain(key, list.StdOut);
        server.Kill(entireProcessTree: true);
    }

    [Fact]
    public async Task Serve_NoModelOffline_ExitsSayingHowToSupplyIt()
    {
        var result = await CliRunner.RunAsync("serve", "--offline", "--model-dir", Path.Combine(_root.Path, "empty"), "--data-dir", Path.Combine(_root.Path, "d"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("models pull", result.StdErr);
    }

    [Fact]
    public async Task Serve_NoModelAndDownloadFails_ExitsSayingHowToSupplyIt()
    {
        var result = await CliRunner.RunAsync("serve", "--model-dir", Path.Combine(_root.Path, "missing"), "--data-dir", Path.Combine(_root.Path, "d2"),
            "--model-base-url", "http://127.0.0.1:9/sam3/");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cannot reach http://127.0.0.1:9", result.StdErr);
        Assert.Contains("models pull", result.StdErr);
        Assert.False(File.Exists(Path.Combine(_root.Path, "missing", "vision-encoder-q8.onnx")), "no half-written bundle may be left in place");
    }

    [Fact]
    public async Task Serve_BadFlagValue_ExitsWithClearError()
    {
        var result = await CliRunner.RunAsync("serve", "--workers", "0", "--offline");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--workers", result.StdErr);
    }

    private async Task<(Process, StringBuilder)> StartServerAsync(int port, string modelDir, string dataDir)
    {
        var server = CliRunner.Start("serve", "--urls", $"http://127.0.0.1:{port}", "--model-dir", modelDir, "--data-dir", dataDir, "--offline", "--workers", "1");
        _processes.Add(server);
        var log = CliRunner.Capture(server);
        await CliRunner.WaitForReadyAsync(server, log, port, TimeSpan.FromSeconds(60));
        return (server, log);
    }

    private static async Task<List<string>> StatusesAsync(HttpClient client, List<string> ids)
    {
        var statuses = new List<string>();
        foreach (var id in ids)
        {
            var response = await client.GetAsync($"/v2/requests/{id}/status");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            statuses.Add(body["status"]?.GetValue<string>() ?? $"missing ({(int)response.StatusCode})");
        }
        return statuses;
    }

    /// <summary>Reads statuses straight from the store while no server runs.</summary>
    private static async Task<List<string>> StatusesAfterKillAsync(List<string> ids, string dataDir)
    {
        var store = new Sam3Serve.Jobs.Sqlite.SqliteJobStore(Sam3Serve.Jobs.Sqlite.SqliteDatabase.Open(dataDir));
        var statuses = new List<string>();
        foreach (var id in ids)
        {
            var job = await store.GetAsync(id, CancellationToken.None);
            statuses.Add(job?.Status.ToString().ToUpperInvariant() ?? "MISSING");
        }
        return statuses;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, StringBuilder log)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(200);
        }
        string text;
        lock (log)
        {
            text = log.ToString();
        }
        throw new TimeoutException($"condition not met within {timeout}; server log:\n{text}");
    }

    public void Dispose()
    {
        CliRunner.KillAll(_processes);
        _root.Dispose();
    }
}
