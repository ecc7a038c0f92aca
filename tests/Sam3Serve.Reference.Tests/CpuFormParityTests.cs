using Sam3Serve.Engine;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Models;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Reference.Tests;

/// <summary>
/// The CPU form (<c>models optimize</c>) of a copy of the reference bundle, through its own engine, against the
/// reference results within the same bounds as the exact graphs. The reference ViT is 64 wide, so only the attention
/// rewrite applies here (no MatMul reaches 512×512); the int8 path is measured on the depth2 set (Scale tests).
/// </summary>
public sealed class CpuFormParityTests
{
    [Fact]
    public async Task CpuForm_EveryCase_MatchesTheReference()
    {
        var set = ReferenceSet.Instance;
        var ct = TestContext.Current.CancellationToken;
        using var work = new TempDir("sam3serve-reference-cpu");
        foreach (var file in Directory.GetFiles(set.BundleDirectory))
        {
            var copy = Path.Combine(work.Path, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetAttributes(copy, FileAttributes.Normal);
        }
        var optimized = await BundleOptimizer.OptimizeAsync(work.Path, null, ct);
        Assert.Equal(2, optimized.Graphs.Count(g => g.AttentionBlocks > 0)); // both vision encoders

        using var engine = new Sam3Engine(new EngineOptions { ModelDir = work.Path });
        await engine.InitializeAsync(ct);
        Assert.Equal("int8", engine.Bundle!.Variant);
        var results = new List<ParityResult>();
        foreach (var c in set.Cases)
        {
            var image = ImageDecoder.Decode(set.ImageBytes(c), 100_000_000);
            var result = await engine.SegmentAsync(ReferenceRequests.ForEngine(c), image, ct);
            var actual = result.Objects.Select(o => new ActualObject(o.Score, o.Box.Select(v => (double)v).ToArray(), ReferenceService.Rasterise(o.Mask))).ToList();
            results.Add(ParityResult.Compare(c, actual, set.Bounds));
        }
        var table = ParityResult.Table(results);
        TestContext.Current.SendDiagnosticMessage($"Reference parity, CPU form (attention rewrite):\n{table}");
        var failed = results.Where(r => !r.Passed).Select(r => r.CaseId).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {results.Count} cases outside the reference bounds ({string.Join(", ", failed)}):\n{table}");
    }
}
