using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Onnx.TrunkSharing;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>
/// The trunk comparison's weight signatures are cached in the bundle folder: a second start reads no weights and finds
/// the same split; a changed data file is read again and its changed tensor no longer counts as shared.
/// </summary>
[Collection(CpuOptimizationCollection.Name)]
[Trait("Category", "Scale")]
public sealed class TrunkSignatureCacheTests
{
    [Fact]
    public void SecondAnalysis_ReadsNoWeights_ChangedFile_IsReadAgain()
    {
        var bundle = ModelBundle.Open(ScaleBundle.Require(), "fp32");
        using var work = new TempDir("sam3serve-sigcache");
        foreach (var path in new[] { bundle.Concept!.VisionEncoder, bundle.Tracker!.VisionEncoder })
        {
            File.Copy(path, Path.Combine(work.Path, Path.GetFileName(path)));
            File.Copy(path + ".data", Path.Combine(work.Path, Path.GetFileName(path) + ".data"));
        }
        var vision = Path.Combine(work.Path, BundleFiles.VisionEncoder);
        var tracker = Path.Combine(work.Path, BundleFiles.TrackerVisionEncoder);

        var first = TrunkSplitter.Analyse(vision, tracker, useCache: true);
        Assert.NotNull(first.Split);
        Assert.True(first.Statistics.BytesHashed > 100_000_000, $"first analysis read {first.Statistics.BytesHashed} bytes");
        Assert.True(File.Exists(Path.Combine(work.Path, SignatureCache.FileName)));

        var second = TrunkSplitter.Analyse(vision, tracker, useCache: true);
        Assert.NotNull(second.Split);
        Assert.Equal(0, second.Statistics.BytesHashed);
        Assert.Equal(first.Statistics with { BytesHashed = 0, Elapsed = default }, second.Statistics with { Elapsed = default });

        // Change the first bytes of the tracker's data file (its first stored tensor) and keep its size.
        using (var stream = new FileStream(tracker + ".data", FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Write(Enumerable.Repeat((byte)0x5a, 4096).ToArray());
        }
        var third = TrunkSplitter.Analyse(vision, tracker, useCache: true);
        // The tracker's tensors are read again (the file less its alignment gaps); the detector's file is not.
        var trackerBytes = new FileInfo(tracker + ".data").Length;
        Assert.InRange(third.Statistics.BytesHashed, trackerBytes * 9 / 10, trackerBytes);
        Assert.True(third.Statistics.BytesHashed < first.Statistics.BytesHashed);
        Assert.True(third.Statistics.SharedInitializers < first.Statistics.SharedInitializers,
            $"{third.Statistics.SharedInitializers} shared after the change, {first.Statistics.SharedInitializers} before");
    }
}
