using Sam3Serve.Contracts.Requests;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Tests.Support;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task SegmentAsync_ParallelRequestsWithATinyCache_AllGetTheirOwnImagesResult()
    {
        // A cache that holds about one image's features: entries are evicted while other requests still use them.
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        var featureBytes = 4L * FixtureGeometry.Channels * ((FixtureGeometry.MaskSize * FixtureGeometry.MaskSize) + (FixtureGeometry.Level1Size * FixtureGeometry.Level1Size) + (2 * FixtureGeometry.Level2Size * FixtureGeometry.Level2Size));
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, ImageCacheBytes = featureBytes + 1, WarmUp = false });
        await engine.InitializeAsync(TestContext.Current.CancellationToken);
        var colours = new[] { ("red", SyntheticImage.Red), ("green", SyntheticImage.Green), ("blue", SyntheticImage.Blue) };

        var tasks = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            var (word, colour) = colours[i % 3];
            var rect = new PixelRect(5 + (i % 7), 6 + (i % 5), 40 + i, 45 + (i % 9));
            var image = SyntheticImage.Create(80 + (i % 4), 70, SyntheticImage.White, (rect, colour));
            var result = await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = [word] }, image, TestContext.Current.CancellationToken);
            return (rect, result);
        })).ToArray();
        var results = await Task.WhenAll(tasks);

        foreach (var (rect, result) in results)
        {
            MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, rect, 2);
        }
    }
}
