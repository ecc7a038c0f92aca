using Sam3Serve.Engine.Postprocessing;
using Xunit;

namespace Sam3Serve.Engine.Tests.Postprocessing;

public sealed class ResizePlanTests
{
    [Fact]
    public void Upsample_2x2To4x4_MatchesAlignCornersFalse()
    {
        // PyTorch F.interpolate([[0,4],[8,12]], size=4, mode="bilinear", align_corners=False): destination i reads
        // source (i + 0.5)/2 − 0.5 = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (upper tap clamped to 1).
        var plan = new ResizePlan(2, 2, 4, 4);

        var result = plan.Upsample([0, 4, 8, 12]);

        Assert.Equal(new float[] { 0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12 }, result);
    }

    [Fact]
    public void Upsample_4To2Columns_SamplesBetweenPairs()
    {
        // Destination 0 reads source 0.5, destination 1 reads 2.5 (no antialiasing, as F.interpolate).
        var plan = new ResizePlan(4, 1, 2, 1);

        var result = plan.Upsample([0, 2, 4, 6]);

        Assert.Equal(new float[] { 1, 5 }, result);
    }

    [Fact]
    public void UpsampleRow_ColumnWindow_EqualsTheSameColumnsOfTheFullRow()
    {
        var plan = new ResizePlan(3, 2, 7, 5);
        float[] source = [1, -2, 3, 0.5f, 4, -1];
        var full = plan.Upsample(source);
        var window = new float[3];

        plan.UpsampleRow(source, 2, 3, window);

        Assert.Equal(full.AsSpan((2 * 7) + 3, 3).ToArray(), window);
    }

    [Fact]
    public void ResizeAxis_SameSize_IsIdentity()
    {
        var axis = new ResizeAxis(5, 5);

        Assert.Equal([0, 1, 2, 3, 4], axis.Lower);
        Assert.All(axis.Weight, w => Assert.Equal(0f, w));
    }
}
