using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Concept;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class BoxExemplarsTests
{
    [Fact]
    public void Encode_PixelBoxes_GivesNormalisedCxCyWhAndLabels()
    {
        var (boxes, labels, count) = BoxExemplars.Encode([new BoxPrompt(10, 20, 30, 60), new BoxPrompt(0, 0, 100, 200, Positive: false)], 100, 200);

        Assert.Equal(2, count);
        Assert.Equal(new[] { 0.2f, 0.2f, 0.2f, 0.2f, 0.5f, 0.5f, 1f, 1f }, boxes);
        Assert.Equal(new long[] { 1, 0 }, labels);
    }

    [Fact]
    public void Encode_NoBoxes_GivesOnePaddingBox()
    {
        var (boxes, labels, count) = BoxExemplars.Encode([], 640, 480);

        Assert.Equal(1, count);
        Assert.Equal(new float[4], boxes);
        Assert.Equal(new long[] { -10 }, labels);
    }
}
