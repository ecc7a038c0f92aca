using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Sam3Serve.Tests.Common;

/// <summary>
/// Runs <c>sam3serve serve</c> as separate processes (one at a time) and collects each one's answers to the same
/// /v1 requests, for tests that compare results across processes. Kills whatever still runs on dispose.
/// </summary>
public sealed class ServeProcesses : IDisposable
{
    private readonly List<Process> _processes = [];

    /// <summary>
    /// Starts a server on <paramref name="modelDir"/> with a fresh <paramref name="dataDir"/>, sends every body to
    /// POST /v1/sam3-image (JSON answer) in order, stops the server and returns each answer's <see cref="Canonical"/> form.
    /// </summary>
    public async Task<string[]> AnswersOfOneProcessAsync(string modelDir, string dataDir, IReadOnlyList<JsonObject> bodies, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        var created = await CliRunner.RunAsync("keys", "create", "--name", "processes", "--data-dir", dataDir);
        if (created.ExitCode != 0)
        {
            throw new InvalidOperationException($"keys create failed: {created.StdOut}{created.StdErr}");
        }
        var key = created.StdOut.Trim().Split('\n')[^1].Trim();
        var port = CliRunner.FreePort();
        var server = CliRunner.Start("serve", "--urls", $"http://127.0.0.1:{port}", "--model-dir", modelDir, "--data-dir", dataDir, "--offline", "--workers", "1");
        _processes.Add(server);
        var log = CliRunner.Capture(server);
        await CliRunner.WaitForReadyAsync(server, log, port, readyTimeout);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("x-api-key", key);
        var answers = new string[bodies.Count];
        for (var i = 0; i < bodies.Count; i++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/sam3-image") { Content = JsonContent.Create(bodies[i]) };
            message.Headers.Accept.ParseAdd("application/json");
            using var response = await client.SendAsync(message, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"request {i} answered {(int)response.StatusCode}: {text}");
            }
            answers[i] = Canonical(JsonNode.Parse(text)!);
        }
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync(cancellationToken);
        return answers;
    }

    /// <summary>What the model decided: every mask's score, box, area and RLE counts, in order (timings and ids left out).</summary>
    public static string Canonical(JsonNode output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = new StringBuilder();
        foreach (var mask in output["masks"]!.AsArray())
        {
            text.Append(mask!["score"]!.ToJsonString()).Append(' ')
                .Append(mask["box"]!.ToJsonString()).Append(' ')
                .Append(mask["area"]?.ToJsonString()).Append(' ')
                .Append(mask["mask"]!["counts"]!.GetValue<string>()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>"N mask(s), first score S", for test output.</summary>
    public static string Summary(string canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        var lines = canonical.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return $"{lines.Length} mask(s)" + (lines.Length > 0 ? $", first score {lines[0].Split(' ')[0]}" : "");
    }

    public void Dispose() => CliRunner.KillAll(_processes);
}
