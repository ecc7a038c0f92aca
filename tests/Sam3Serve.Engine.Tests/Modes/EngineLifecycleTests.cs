using Sam3Serve.Contracts.Requests;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Tests.Support;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class EngineLifecycleTests
{
    [Fact]
    public async Task InitializeAsync_Fixture_ReadsTheSmallInputSizeFromMetadata()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, WarmUp = false });

        Assert.False(engine.IsReady);
        await engine.InitializeAsync(TestContext.Current.CancellationToken);

        Assert.True(engine.IsReady);
        Assert.Equal((FixtureGeometry.ImageSize, FixtureGeometry.ImageSize), engine.ConceptInputSize);
        Assert.Equal((FixtureGeometry.ImageSize, FixtureGeometry.ImageSize), engine.TrackerInputSize);
        Assert.Equal(0, engine.Counters.VisionEncoderRuns);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    public async Task PointAfterText_SharedTrunkRunsOncePerImage_SeparateFilesTwice(bool shareTrunk, int trunkPasses)
    {
        // The fixture's two encoders both start with the same 2x2 average pool of the pixels: the comparison finds
        // it and shares it; with sharing off the two files run as they are. Both give the same answers.
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, ShareTrunk = shareTrunk });
        var ct = TestContext.Current.CancellationToken;
        await engine.InitializeAsync(ct);
        Assert.Equal(shareTrunk, engine.SharesTrunk);

        var image = SyntheticImage.Create(64, 48, SyntheticImage.Red);
        var text = await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] }, image, ct);
        var point = await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(10, 10, 1)] }, image, ct);

        Assert.Single(text.Objects);
        Assert.Single(point.Objects);
        Assert.Equal(trunkPasses, engine.Counters.TrunkPasses);
        Assert.Equal(shareTrunk, point.StageSeconds["encoder"] == 0);
    }

    [Fact]
    public void TrunkSplitter_GraphsWithNothingInCommon_AreNotSplit()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        var analysis = Sam3Serve.Engine.Onnx.TrunkSharing.TrunkSplitter.Analyse(Path.Combine(dir.Path, "vision-encoder.onnx"), Path.Combine(dir.Path, "text-encoder.onnx"));
        Assert.Null(analysis.Split);
        Assert.Contains("nothing in common", analysis.Reason);
        Assert.Equal(0, analysis.Statistics.SharedInitializers);
    }

    [Fact]
    public async Task SegmentAsync_BeforeInitialize_Throws()
    {
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = "/nonexistent" });
        var image = SyntheticImage.Create(8, 8, SyntheticImage.White);

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] }, image, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InitializeAsync_MissingFolder_FailsWithThePath()
    {
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = "/nonexistent/sam3-models" });

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => engine.InitializeAsync(TestContext.Current.CancellationToken));

        Assert.Contains("/nonexistent/sam3-models", error.Message, StringComparison.Ordinal);
        Assert.False(engine.IsReady);
    }

    [Fact]
    public async Task SegmentAsync_ConceptWithoutConceptFiles_NamesWhatIsMissing()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        File.Delete(Path.Combine(dir.Path, Sam3Serve.Engine.Bundle.BundleFiles.TextEncoder));
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path });
        await engine.InitializeAsync(TestContext.Current.CancellationToken);
        var image = SyntheticImage.Create(8, 8, SyntheticImage.White);

        var error = await Assert.ThrowsAsync<Contracts.Inference.ModeUnavailableException>(async () =>
            await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] }, image, TestContext.Current.CancellationToken));
        var point = await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(4, 4, 1)] }, image, TestContext.Current.CancellationToken);

        Assert.Contains("text-encoder.onnx", error.Message, StringComparison.Ordinal);
        Assert.Equal(SegmentationMode.Concept, error.Mode);
        Assert.DoesNotContain(dir.Path, error.Message, StringComparison.Ordinal); // a client reads it
        Assert.Single(point.Objects);
    }

    [Fact]
    public async Task SegmentAsync_CancelledToken_Throws()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, WarmUp = false });
        await engine.InitializeAsync(TestContext.Current.CancellationToken);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Automatic }, SyntheticImage.Create(8, 8, SyntheticImage.White), cts.Token));
    }
}
