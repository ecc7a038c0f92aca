using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Cli.Tests;

/// <summary>
/// The first start on a fresh machine, as a user runs it: <c>models pull</c> and <c>serve</c> against a loopback
/// stand-in of the GitHub release (listing API plus a separate download host) serving the fixture graphs.
/// </summary>
public sealed class FirstStartTests : IAsyncLifetime
{
    private readonly TempDir _root = new("sam3serve-first-start");
    private readonly List<Process> _processes = [];
    private FakeGitHubRelease _release = null!;

    public async ValueTask InitializeAsync() => _release = await FakeGitHubRelease.StartAsync();

    public async ValueTask DisposeAsync()
    {
        CliRunner.KillAll(_processes);
        await _release.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task ModelsPull_MixedRelease_PrintsThePlanBeforeTheFirstByte()
    {
        FixtureRelease.Publish(_release, Path.Combine(_root.Path, "fixture"), r => r == BundleRole.TrackerVisionEncoder ? ["q4f16"] : ["q8", "q4f16", "fp16"]);
        var dir = Path.Combine(_root.Path, "models");

        var result = await CliRunner.RunAsync("models", "pull", "--dir", dir, "--release", _release.ReleaseSpec, "--api-base", _release.ApiBase);

        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        var output = result.StdOut;
        var plan = output.IndexOf("variant order q8 > q4f16 > fp32 > fp16", StringComparison.Ordinal);
        Assert.True(plan >= 0, output);
        Assert.True(plan < output.IndexOf("[1/6]", StringComparison.Ordinal), output);
        Assert.Matches(@"tracker-vision-encoder\s+q4f16\s+tracker-vision-encoder-q4f16\.onnx.*no q8 on the source", output);
        Assert.Matches(@"text-encoder\s+q8\s+text-encoder-q8\.onnx", output);
        Assert.Contains("tokenizer.json", output, StringComparison.Ordinal);
        Assert.Contains("total ", output, StringComparison.Ordinal);
        Assert.True(ModelBundle.Open(dir, null).IsMixed);
        TestContext.Current.TestOutputHelper?.WriteLine(output);
    }

    [Fact]
    public async Task Serve_FreshMachineReleaseWithoutTracker_DownloadsThenAnswersTextAndExplainsPoints()
    {
        FixtureRelease.Publish(_release, Path.Combine(_root.Path, "fixture"), r => r.IsTracker ? [] : ["q8"]);
        var port = CliRunner.FreePort();
        var dataDir = Path.Combine(_root.Path, "data");
        var server = CliRunner.Start("serve", "--urls", $"http://127.0.0.1:{port}", "--model-dir", Path.Combine(_root.Path, "models"), "--data-dir", dataDir,
            "--release", _release.ReleaseSpec, "--api-base", _release.ApiBase);
        _processes.Add(server);
        var log = CliRunner.Capture(server);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitReadyAsync(server, client, log);
        lock (log)
        {
            Assert.Contains("the tracker pair is incomplete on the source", log.ToString(), StringComparison.Ordinal);
        }
        client.DefaultRequestHeaders.Add("x-api-key", (await File.ReadAllTextAsync(Path.Combine(dataDir, "api-key.txt"))).Trim());
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var image = Convert.ToBase64String(RedBmp(64, 48));

        var text = await client.PostAsJsonAsync("/v1/sam3-image", new { image, text_prompt = "red" });
        var body = JsonNode.Parse(await text.Content.ReadAsStringAsync())!;
        Assert.True(text.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(1, body["count"]!.GetValue<int>());

        var points = await client.PostAsJsonAsync("/v1/sam3-image", new { image, points_input = "[[10, 10]]" });
        var error = JsonNode.Parse(await points.Content.ReadAsStringAsync())!["error"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.BadRequest, points.StatusCode);
        Assert.Contains(BundleFiles.TrackerVisionEncoder, error, StringComparison.Ordinal);
        Assert.Contains(BundleFiles.TrackerDecoder, error, StringComparison.Ordinal);
        lock (log)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(log.ToString());
        }
    }

    [Fact]
    public async Task ModelsPull_RateLimited_OneMessageAndHowToSupply()
    {
        _release.RateLimited = true;

        var result = await CliRunner.RunAsync("models", "pull", "--dir", Path.Combine(_root.Path, "models"), "--release", _release.ReleaseSpec, "--api-base", _release.ApiBase);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("rate limit is used up", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("GITHUB_TOKEN", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("Supply the model", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(_release.Downloads);
    }

    [Fact]
    public async Task ModelsPull_BadReleaseFlag_SaysTheExpectedForm()
    {
        var result = await CliRunner.RunAsync("models", "pull", "--dir", Path.Combine(_root.Path, "models"), "--release", "just-a-name");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("owner/repo@tag", result.StdErr, StringComparison.Ordinal);
    }

    private static async Task WaitReadyAsync(Process server, HttpClient client, StringBuilder log)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"server exited with {server.ExitCode}: {log}");
            }
            try
            {
                if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"server not ready: {log}");
    }

    // A 24-bit BMP filled with pure red (the fixture's "red" concept), bottom-up rows padded to 4 bytes.
    private static byte[] RedBmp(int width, int height)
    {
        var row = (width * 3 + 3) & ~3;
        var data = new byte[54 + row * height];
        void Int(int offset, int value) => BitConverter.TryWriteBytes(data.AsSpan(offset, 4), value);
        data[0] = (byte)'B';
        data[1] = (byte)'M';
        Int(2, data.Length);
        Int(10, 54);
        Int(14, 40);
        Int(18, width);
        Int(22, height);
        data[26] = 1;
        data[28] = 24;
        Int(34, row * height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                data[54 + y * row + x * 3 + 2] = 255; // B, G, R
            }
        }
        return data;
    }
}
