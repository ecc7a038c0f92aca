using Sam3Serve.Engine.Postprocessing;
using Xunit;

namespace Sam3Serve.Engine.Tests.Postprocessing;

public sealed class LogitMaskTests
{
    [Fact]
    public void FillRow_PositiveTopRightCell_SetsTheInterpolatedPositivePixels()
    {
        // [[-1, 1], [-1, -1]] → 4×4: row 0 = [-1, -0.5, 0.5, 1]; row 1 = 0.75·row0 + 0.25·(-1) = [.., -0.625, 0.125, 0.5];
        // row 2 = 0.25·row0 + 0.75·(-1) → all ≤ 0.
        var mask = new LogitMask([-1, 1, -1, -1], new ResizePlan(2, 2, 4, 4));
        var rows = new byte[4][];

        for (var y = 0; y < 4; y++)
        {
            rows[y] = new byte[4];
            mask.FillRow(y, rows[y]);
        }

        Assert.Equal(new byte[] { 0, 0, 1, 1 }, rows[0]);
        Assert.Equal(new byte[] { 0, 0, 1, 1 }, rows[1]);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, rows[2]);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, rows[3]);
    }

    [Fact]
    public void ComputeBox_TopRightCell_ReturnsInclusivePixelBounds()
    {
        var mask = new LogitMask([-1, 1, -1, -1], new ResizePlan(2, 2, 4, 4));

        Assert.Equal(new float[] { 2, 0, 3, 1 }, mask.ComputeBox());
        Assert.Equal(4, mask.CountArea());
    }

    [Fact]
    public void ComputeBox_AllNegative_ReturnsZeros()
    {
        var mask = new LogitMask([-1, -2, -3, -4], new ResizePlan(2, 2, 9, 5));

        Assert.Equal(new float[] { 0, 0, 0, 0 }, mask.ComputeBox());
        Assert.Null(mask.ApproximateBox());
    }

    [Fact]
    public void ComputeBox_LargeRandomMap_EqualsBruteForceOverAllPixels()
    {
        var random = new Random(7);
        var logits = new float[20 * 16];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = -5f;
        }
        for (var k = 0; k < 6; k++)
        {
            logits[random.Next(logits.Length)] = (float)random.NextDouble() * 4f;
        }
        var plan = new ResizePlan(20, 16, 137, 91);
        var full = plan.Upsample(logits);
        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        for (var y = 0; y < 91; y++)
        {
            for (var x = 0; x < 137; x++)
            {
                if (full[(y * 137) + x] > 0)
                {
                    minX = Math.Min(minX, x);
                    maxX = Math.Max(maxX, x);
                    minY = Math.Min(minY, y);
                    maxY = Math.Max(maxY, y);
                }
            }
        }

        var box = new LogitMask(logits, plan).ComputeBox();

        Assert.Equal(new float[] { minX, minY, maxX, maxY }, box);
    }
}
