using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Tests.Support;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class CachingTests(FixtureEngineHost host) : IClassFixture<FixtureEngineHost>
{
    [Fact]
    public async Task SegmentAsync_SecondPromptOnSameImage_SkipsTheVisionEncoder()
    {
        var ct = TestContext.Current.CancellationToken;
        var scene = SyntheticImage.Create(90, 70, SyntheticImage.White, (new PixelRect(10, 10, 40, 40), SyntheticImage.Red));
        var counters = host.Engine.Counters;

        var visionBefore = counters.VisionEncoderRuns;
        await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] }, scene, ct);
        var visionAfterFirst = counters.VisionEncoderRuns;
        var hitsBefore = counters.ImageCacheHits;
        var second = await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["green"] }, scene, ct);

        Assert.Equal(visionBefore + 1, visionAfterFirst);
        Assert.Equal(visionAfterFirst, counters.VisionEncoderRuns);
        Assert.True(counters.ImageCacheHits > hitsBefore);
        Assert.Empty(second.Objects);
    }

    [Fact]
    public async Task SegmentAsync_SamePixelsInANewArray_HitsTheCacheByContent()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = SyntheticImage.Create(64, 80, SyntheticImage.White, (new PixelRect(5, 5, 30, 30), SyntheticImage.Blue));
        var copy = new Contracts.Inference.RgbImage(first.Width, first.Height, (byte[])first.Pixels.Clone());

        await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["blue"] }, first, ct);
        var runs = host.Engine.Counters.VisionEncoderRuns;
        var result = await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["blue"] }, copy, ct);

        Assert.Equal(runs, host.Engine.Counters.VisionEncoderRuns);
        Assert.Single(result.Objects);
    }

    [Fact]
    public async Task SegmentAsync_RepeatedPrompt_SkipsTheTextEncoder()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = SyntheticImage.Create(50, 50, SyntheticImage.White, (new PixelRect(5, 5, 30, 30), SyntheticImage.Green));
        var b = SyntheticImage.Create(60, 50, SyntheticImage.White, (new PixelRect(5, 5, 30, 30), SyntheticImage.Green));
        var prompt = "green " + Guid.NewGuid().ToString("N")[..6];

        await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = [prompt] }, a, ct);
        var textRuns = host.Engine.Counters.TextEncoderRuns;
        await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = [prompt] }, b, ct);

        Assert.Equal(textRuns, host.Engine.Counters.TextEncoderRuns);
    }

    [Fact]
    public async Task SegmentAsync_ImageIdGiven_ReusesFeaturesWithoutComparingPixels()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = "photo-" + Guid.NewGuid();
        var red = SyntheticImage.Create(40, 40, SyntheticImage.White, (new PixelRect(0, 0, 20, 20), SyntheticImage.Red));
        var blank = SyntheticImage.Create(40, 40, SyntheticImage.White);

        await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"], ImageId = id }, red, ct);
        var runs = host.Engine.Counters.VisionEncoderRuns;
        var result = await host.Engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"], ImageId = id }, blank, ct);

        // The client promised the same picture: the cached features (with red) answer.
        Assert.Equal(runs, host.Engine.Counters.VisionEncoderRuns);
        Assert.Single(result.Objects);
    }
}
