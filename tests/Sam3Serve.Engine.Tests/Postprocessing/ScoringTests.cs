using Sam3Serve.Engine.Postprocessing;
using Xunit;

namespace Sam3Serve.Engine.Tests.Postprocessing;

public sealed class ScoringTests
{
    [Theory]
    [InlineData(0f, 0f, 0.25f)]
    [InlineData(1.0986123f, 1.0986123f, 0.5625f)] // ln 3: sigmoid = 0.75
    [InlineData(2.7154f, 30f, 0.9379f)] // the published kitchen row: sigmoid(2.7154) = 0.9379 with presence ≈ 1
    public void DetectionScore_LogitAndPresence_MultipliesSigmoids(float logit, float presence, float expected)
    {
        Assert.Equal(expected, ScoreMath.DetectionScore(logit, presence), 4);
    }

    [Fact]
    public void KeepAbove_ScoreEqualToThreshold_IsDropped()
    {
        Assert.Equal([1, 3], ScoreMath.KeepAbove([0.5f, 0.51f, 0.2f, 0.9f], 0.5f));
    }

    [Fact]
    public void ScaleBox_NormalisedXyxy_MultipliesByWidthAndHeight()
    {
        Assert.Equal(new float[] { 20, 20, 100, 100 }, ScoreMath.ScaleBox([0.1f, 0.2f, 0.5f, 1f], 200, 100));
    }

    [Fact]
    public void TopInOrder_CapTwo_KeepsHighestInOriginalOrder()
    {
        Assert.Equal([1, 3], ScoreMath.TopInOrder([0.2f, 0.9f, 0.5f, 0.9f], 2));
        Assert.Equal([0, 1, 2], ScoreMath.TopInOrder([0.2f, 0.9f, 0.5f], 0));
    }

    [Fact]
    public void StabilityScore_OffsetOne_IsRatioOfThresholdedAreas()
    {
        // > 1: {1.5, 3}; > −1: {−0.5, 0.5, 1.5, 3} → 2/4.
        Assert.Equal(0.5f, StabilityScore.Compute([-2f, -0.5f, 0.5f, 1.5f, 3f]));
    }

    [Fact]
    public void StabilityScore_LongInput_CountsVectorAndTailLanes()
    {
        // 37 values (vector body + scalar tail): 10 above 1, 25 above −1.
        var values = new float[37];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i < 10 ? 5f : i < 25 ? 0f : -3f;
        }
        Assert.Equal(10f / 25f, StabilityScore.Compute(values), 6);
        Assert.Equal(0f, StabilityScore.Compute(new float[40]));
        Assert.Equal(0f, StabilityScore.Compute(Enumerable.Repeat(-2f, 40).ToArray()));
    }

    [Fact]
    public void BoxNms_OverlapAboveThreshold_SuppressesLowerScore()
    {
        // C–A IoU 0.95 (A dropped); C–B 0.646 and A–B 0.681 stay below 0.7.
        float[][] boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 9.5f]];

        var kept = BoxNms.Apply(boxes, [0.9f, 0.8f, 0.95f], 0.7f);

        Assert.Equal([2, 1], kept);
        Assert.Equal(81f / 119f, BoxNms.Iou(boxes[0], boxes[1]), 5);
    }

    [Fact]
    public void AutomaticGrid_TwoPerSide_IsLinspaceWithXFastest()
    {
        var points = AutomaticGrid.Points(2);

        Assert.Equal([(0.25f, 0.25f), (0.75f, 0.25f), (0.25f, 0.75f), (0.75f, 0.75f)], points);
        Assert.Equal((1f / 64, 1f / 64), AutomaticGrid.Points(32)[0]);
    }
}
