using Sam3Serve.Contracts.Inference;
using Xunit;

namespace Sam3Serve.Engine.Tests.Support;

/// <summary>Checks a lazily produced mask against an expected rectangle, pixel by pixel.</summary>
public static class MaskAssert
{
    /// <summary>
    /// Every pixel at least <paramref name="edgeTolerance"/> pixels inside <paramref name="rect"/> must be set, every
    /// pixel at least that far outside must be clear; only the band around the edge may differ.
    /// </summary>
    public static void MatchesRect(IObjectMask mask, PixelRect rect, int edgeTolerance)
    {
        var row = new byte[mask.Width];
        var wrong = 0;
        var firstWrong = "";
        for (var y = 0; y < mask.Height; y++)
        {
            mask.FillRow(y, row);
            for (var x = 0; x < mask.Width; x++)
            {
                var distance = DistanceToEdge(rect, x, y);
                if (distance < edgeTolerance)
                {
                    continue;
                }
                var expected = rect.Contains(x, y) ? (byte)1 : (byte)0;
                if (row[x] != expected)
                {
                    if (wrong++ == 0)
                    {
                        firstWrong = $"({x},{y}) is {row[x]}, expected {expected}";
                    }
                }
            }
        }
        Assert.True(wrong == 0, $"{wrong} pixels away from the edges of {rect} are wrong; first {firstWrong}");
    }

    /// <summary>Counts set pixels.</summary>
    public static long Area(IObjectMask mask)
    {
        var row = new byte[mask.Width];
        long area = 0;
        for (var y = 0; y < mask.Height; y++)
        {
            mask.FillRow(y, row);
            foreach (var v in row)
            {
                area += v;
            }
        }
        return area;
    }

    public static void BoxNear(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(4, actual.Length);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"box [{string.Join(", ", actual)}] differs from [{string.Join(", ", expected)}] by more than {tolerance} at {i}");
        }
    }

    private static int DistanceToEdge(PixelRect rect, int x, int y)
    {
        // Pixel distance from (x, y) to the rectangle's boundary, inside or outside.
        var dx = x < rect.X0 ? rect.X0 - x : x >= rect.X1 ? x - rect.X1 + 1 : Math.Min(x - rect.X0 + 1, rect.X1 - x);
        var dy = y < rect.Y0 ? rect.Y0 - y : y >= rect.Y1 ? y - rect.Y1 + 1 : Math.Min(y - rect.Y0 + 1, rect.Y1 - y);
        return rect.Contains(x, y) ? Math.Min(dx, dy) : Math.Max(x < rect.X0 || x >= rect.X1 ? dx : 0, y < rect.Y0 || y >= rect.Y1 ? dy : 0);
    }
}
