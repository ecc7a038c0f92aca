using System.Text.Json.Nodes;
using Sam3Serve.Client.IntegrationTests.Infrastructure;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests;

/// <summary><c>sam3serve segment IMAGE --server URL</c>, the real program against the real service started here.</summary>
public sealed class SegmentCommandTests(CliService service) : IClassFixture<CliService>, IDisposable
{
    private readonly TempDir _dir = new("sam3serve-cli-sdk");

    public void Dispose() => _dir.Dispose();

    private string ScenePath()
    {
        var path = Path.Combine(_dir.Path, "scene.png");
        File.WriteAllBytes(path, Scene.Png());
        return path;
    }

    [Fact]
    public async Task Segment_ServerWithOutFolder_WritesWhatTheInProcessPathWrites()
    {
        service.Engine.Delay = TimeSpan.FromSeconds(1.2);
        var image = ScenePath();
        var remoteDir = Path.Combine(_dir.Path, "remote");
        var localDir = Path.Combine(_dir.Path, "local");
        string[] prompt = ["--text", "red", "--text", "blue", "--masks", "--overlay"];

        var remote = await CliProcess.RunAsync(["segment", image, "--server", service.BaseAddress.AbsoluteUri, "--key", service.ApiKey, .. prompt, "-o", remoteDir]);
        service.Engine.Delay = TimeSpan.Zero;
        var local = await CliProcess.RunAsync(["segment", image, "--model-dir", service.ModelDir, .. prompt, "-o", localDir]);

        Assert.True(remote.ExitCode == 0, remote.StdErr);
        Assert.True(local.ExitCode == 0, local.StdErr);
        var files = new[] { "preview.png", "overlay.png", "mask-0.png", "mask-1.png", "result.json" };
        Assert.Equal(files.Order(), Directory.GetFiles(remoteDir).Select(Path.GetFileName).Order());
        // Same engine, same image, same renderer: the output objects agree field for field.
        var remoteResult = JsonNode.Parse(File.ReadAllText(Path.Combine(remoteDir, "result.json")))!;
        var localResult = JsonNode.Parse(File.ReadAllText(Path.Combine(localDir, "result.json")))!;
        Assert.True(JsonNode.DeepEquals(localResult, remoteResult), $"remote:\n{remoteResult}\nlocal:\n{localResult}");
        Assert.Equal("preview.png", remoteResult["preview"]!.GetValue<string>());
        foreach (var mask in remoteResult["masks"]!.AsArray())
        {
            var name = mask!["mask"]!.GetValue<string>();
            var (w, h, pixels) = Scene.Gray(File.ReadAllBytes(Path.Combine(remoteDir, name)));
            Assert.Equal((Scene.Width, Scene.Height), (w, h));
            Scene.AssertOn(Scene.Where(pixels, 255), mask["prompt_index"]!.GetValue<int>() == 0 ? Scene.Red : Scene.Blue);
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(localDir, "preview.png")), File.ReadAllBytes(Path.Combine(remoteDir, "preview.png")));

        // Output redirected: plain progress lines with status and elapsed seconds, no carriage returns.
        Assert.DoesNotContain('\r', remote.StdErr);
        var progress = remote.StdErr.Split('\n').Where(l => l.StartsWith("request ", StringComparison.Ordinal)).ToList();
        Assert.Contains(progress, l => l.Contains(": PROCESSING ", StringComparison.Ordinal) || l.Contains(": QUEUED ", StringComparison.Ordinal));
        Assert.Matches(@"^request \w+: COMPLETED \d+\.\d s$", progress[^1]);
        var completedAfter = double.Parse(progress[^1].Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(completedAfter >= 1.2, $"completed after {completedAfter} s, but the engine waits 1.2 s");
        Assert.Contains("concept: 2 object(s) in 640x360", remote.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segment_ServerJsonWithKeyFromEnvironment_PrintsTheOutputObject()
    {
        var b = Scene.Blue;
        var env = new Dictionary<string, string> { [Sam3ClientOptions.ApiKeyVariable] = service.ApiKey };

        var run = await CliProcess.RunAsync(env, "segment", ScenePath(), "--server", service.BaseAddress.AbsoluteUri,
            "--points", $"[[{b.MidX}, {b.MidY}]]", "--labels", "[1]", "--masks", "--mask-format", "rle", "--json");

        Assert.True(run.ExitCode == 0, run.StdErr);
        var output = JsonNode.Parse(run.StdOut)!;
        Assert.Equal("interactive", output["mode"]!.GetValue<string>());
        var mask = Assert.Single(output["masks"]!.AsArray())!;
        var rle = new Sam3Rle(Scene.Height, Scene.Width, mask["mask"]!["counts"]!.GetValue<string>());
        Scene.AssertOn(rle.Decode(), Scene.Blue);
        // Without -o the image fields stay the service's media URLs.
        Assert.StartsWith(service.BaseAddress.AbsoluteUri + "v2/requests/", output["preview"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segment_NegativeBoxLabel_RemovesTheTextColour_ThroughServerAndInProcess()
    {
        // The fixture drops the colours under negative exemplars: "red" plus a box on red is red as label 1, nothing as 0.
        var image = ScenePath();
        var r = Scene.Red;
        string[] prompt = ["--text", "red", "--boxes", $"[[{r.Left + 10}, {r.Top + 10}, {r.Right - 10}, {r.Bottom - 10}]]", "--json"];
        string[] remote = ["segment", image, "--server", service.BaseAddress.AbsoluteUri, "--key", service.ApiKey];
        string[] local = ["segment", image, "--model-dir", service.ModelDir];

        foreach (var (how, command) in new[] { ("server", remote), ("in-process", local) })
        {
            var positive = await CliProcess.RunAsync([.. command, .. prompt, "--box-labels", "[1]"]);
            var negative = await CliProcess.RunAsync([.. command, .. prompt, "--box-labels", "[[0]]"]);

            Assert.True(positive.ExitCode == 0, $"{how}: {positive.StdErr}");
            Assert.True(negative.ExitCode == 0, $"{how}: {negative.StdErr}");
            Assert.Equal(1, JsonNode.Parse(positive.StdOut)!["count"]!.GetValue<int>());
            var output = JsonNode.Parse(negative.StdOut)!;
            Assert.Equal("concept", output["mode"]!.GetValue<string>());
            Assert.Equal(0, output["count"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Segment_Tiles_ServerAndInProcessGiveTheSameTiledResult()
    {
        var image = ScenePath();
        string[] prompt = ["--text", "red", "--tiles", "1x2", "--tile-overlap", "0.3", "--json"];
        var remote = await CliProcess.RunAsync(["segment", image, "--server", service.BaseAddress.AbsoluteUri, "--key", service.ApiKey, .. prompt]);
        var local = await CliProcess.RunAsync(["segment", image, "--model-dir", service.ModelDir, .. prompt]);

        Assert.True(remote.ExitCode == 0, remote.StdErr);
        Assert.True(local.ExitCode == 0, local.StdErr);
        var remoteOutput = JsonNode.Parse(remote.StdOut)!;
        // The preview is a media URL remotely and a file name locally; the masks agree field for field.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(local.StdOut)!["masks"], remoteOutput["masks"]), $"remote:\n{remote.StdOut}\nlocal:\n{local.StdOut}");
        // The red rectangle lies in both tiles and the whole image: reported once, every pass agreeing.
        var mask = Assert.Single(remoteOutput["masks"]!.AsArray())!;
        Assert.True(mask.AsObject().ContainsKey("tile"), mask.ToJsonString());
    }

    [Fact]
    public async Task Segment_TilesBroken_ExitsOneNamingTiles()
    {
        var image = ScenePath();
        var server = await CliProcess.RunAsync(["segment", image, "--server", service.BaseAddress.AbsoluteUri, "--key", service.ApiKey, "--text", "red", "--tiles", "9x9"]);
        var local = await CliProcess.RunAsync(["segment", image, "--model-dir", service.ModelDir, "--text", "red", "--tiles", "9x9"]);
        var interactive = await CliProcess.RunAsync(["segment", image, "--model-dir", service.ModelDir, "--points", "[[10, 10]]", "--tiles", "auto"]);

        Assert.Equal(1, server.ExitCode);
        Assert.Contains("tiles", server.StdErr, StringComparison.Ordinal);
        foreach (var run in new[] { local, interactive })
        {
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("tiles", run.StdErr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Segment_BoxLabelsBroken_ExitsOneNamingTheOptionOrField()
    {
        var image = ScenePath();
        string[] remote = ["segment", image, "--server", service.BaseAddress.AbsoluteUri, "--key", service.ApiKey];

        var count = await CliProcess.RunAsync([.. remote, "--boxes", "[[10, 10, 50, 50]]", "--box-labels", "[1, 0]"]);
        Assert.Equal(1, count.ExitCode);
        Assert.Contains("--box-labels", count.StdErr, StringComparison.Ordinal);

        var value = await CliProcess.RunAsync([.. remote, "--boxes", "[[10, 10, 50, 50]]", "--box-labels", "[2]"]);
        Assert.Equal(1, value.ExitCode);
        Assert.Contains("--box-labels", value.StdErr, StringComparison.Ordinal);

        // A negative object box: the server's 400, through the SDK and through the in-process validator alike.
        string[] objectBox = ["--boxes", "[[10, 10, 50, 50]]", "--box-labels", "[0]", "--box-mode", "object"];
        var server = await CliProcess.RunAsync([.. remote, .. objectBox]);
        var local = await CliProcess.RunAsync(["segment", image, "--model-dir", service.ModelDir, .. objectBox]);
        foreach (var run in new[] { server, local })
        {
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("box_labels_input", run.StdErr, StringComparison.Ordinal);
            Assert.Contains("object", run.StdErr, StringComparison.Ordinal);
        }
        Assert.Contains("400", server.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segment_ServerWithSegmindKeyVariable_UsesIt()
    {
        var env = new Dictionary<string, string> { [Sam3ClientOptions.SegmindApiKeyVariable] = service.ApiKey };

        var run = await CliProcess.RunAsync(env, "segment", ScenePath(), "--server", service.BaseAddress.AbsoluteUri, "--text", "green");

        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Contains("concept: 1 object(s) in 640x360", run.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"#0 score 0\.\d{4} box \[", run.StdOut);
    }

    [Fact]
    public async Task Segment_ServerUnknownKey_ExitsOneNaming401()
    {
        var run = await CliProcess.RunAsync("segment", ScenePath(), "--server", service.BaseAddress.AbsoluteUri, "--key", "s3s_wrong", "--text", "red");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("401", run.StdErr, StringComparison.Ordinal);
        Assert.Empty(run.StdOut);
    }

    [Fact]
    public async Task Segment_ServerWithoutAnyKey_ExitsOneAskingForOne()
    {
        var run = await CliProcess.RunAsync("segment", ScenePath(), "--server", service.BaseAddress.AbsoluteUri, "--text", "red");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--key", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segment_ServerRefusesAParameter_ExitsOneWithTheFieldError()
    {
        var run = await CliProcess.RunAsync("segment", ScenePath(), "--server", service.BaseAddress.AbsoluteUri, "--key", service.ApiKey,
            "--boxes", "[[200, 200, 100, 300]]");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("400", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("boxes_input", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segment_MalformedPointsWithServer_ExitsOneBeforeSending()
    {
        var run = await CliProcess.RunAsync("segment", ScenePath(), "--server", service.BaseAddress.AbsoluteUri, "--key", service.ApiKey,
            "--points", "[[1, 2, 3]]");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--points", run.StdErr, StringComparison.Ordinal);
    }
}
