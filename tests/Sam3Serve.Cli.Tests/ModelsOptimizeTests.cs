using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Cli.Tests;

/// <summary><c>models optimize</c> through the real program (the depth2 Scale tests cover a bundle it rewrites).</summary>
public sealed class ModelsOptimizeTests : IDisposable
{
    private readonly TempDir _root = new("sam3serve-optimize-cli");

    [Fact]
    public async Task Optimize_FixtureBundle_NothingLargeEnough_LeavesTheBundleAsItIs()
    {
        var dir = Path.Combine(_root.Path, "fixture");
        Assert.Equal(0, (await CliRunner.RunAsync("models", "fixture", "--out", dir)).ExitCode);
        var manifest = await File.ReadAllTextAsync(Path.Combine(dir, "manifest.json"), TestContext.Current.CancellationToken);
        var files = Directory.GetFiles(dir).Order().ToArray();

        var (code, stdout, stderr) = await CliRunner.RunAsync("models", "optimize", "--dir", dir);

        Assert.True(code == 0, stderr);
        Assert.Equal(5, stdout.Split('\n').Count(l => l.Contains("nothing to rewrite, served as it is", StringComparison.Ordinal)));
        Assert.Equal(manifest, await File.ReadAllTextAsync(Path.Combine(dir, "manifest.json"), TestContext.Current.CancellationToken));
        Assert.Equal(files, Directory.GetFiles(dir).Order().ToArray());
    }

    [Fact]
    public async Task Optimize_NoBundle_FailsWithTheReason()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("models", "optimize", "--dir", Path.Combine(_root.Path, "missing"));

        Assert.Equal(1, code);
        Assert.Contains("model folder not found", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _root.Dispose();
}
