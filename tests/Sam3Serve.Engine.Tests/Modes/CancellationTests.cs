using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Tests.Support;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

/// <summary>A cancelled request stops at the next stage boundary: no model runs after the token fired.</summary>
public sealed class CancellationTests(FixtureEngineHost host) : IClassFixture<FixtureEngineHost>
{
    public static TheoryData<SegmentationRequest> Requests => new()
    {
        new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red", "green"] },
        new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(20, 20, 1)] },
        new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = 4 },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task SegmentAsync_CancelledToken_ThrowsBeforeAnyModelRuns(SegmentationRequest request)
    {
        var scene = SyntheticImage.Create(90, 70, SyntheticImage.White, (new PixelRect(10, 10, 40, 40), SyntheticImage.Red));
        var counters = host.Engine.Counters;
        var before = counters.VisionEncoderRuns + counters.TrackerEncoderRuns + counters.TextEncoderRuns + counters.DecoderRuns + counters.TrackerDecoderRuns;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await host.Engine.SegmentAsync(request, scene, cancelled.Token));

        Assert.Equal(before, counters.VisionEncoderRuns + counters.TrackerEncoderRuns + counters.TextEncoderRuns + counters.DecoderRuns + counters.TrackerDecoderRuns);
    }
}
