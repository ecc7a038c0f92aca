namespace Sam3Serve.Imaging.Rendering;

/// <summary>
/// Traces the outer boundary of every 8-connected component of a binary mask along pixel edges ("crack"
/// following), so each ring's vertices are pixel corners on the component's border and the ring encloses
/// exactly the component's pixels plus its holes. Only turning corners are kept (no collinear points).
/// </summary>
internal static class ContourTracer
{
    // Directions in image coordinates (y down): east, south, west, north. Turning right is d + 1.
    private static readonly int[] StepX = [1, 0, -1, 0];
    private static readonly int[] StepY = [0, 1, 0, -1];

    // Walking direction d from corner (cx, cy), the pixel right of the edge is (cx + RightX[d], cy + RightY[d])
    // and the pixel left of it is (cx + LeftX[d], cy + LeftY[d]). The mask is always kept on the right.
    private static readonly int[] RightX = [0, -1, -1, 0];
    private static readonly int[] RightY = [0, 0, -1, -1];
    private static readonly int[] LeftX = [0, 0, -1, -1];
    private static readonly int[] LeftY = [-1, 0, 0, -1];

    private const byte Inside = 1;
    private const byte TopEdgeTraced = 2;

    /// <summary>
    /// Returns one ring per component as flat [x0, y0, x1, y1, ...] corner coordinates, clockwise on screen,
    /// in raster order of each component's first pixel. <paramref name="mask"/> holds 0 or 1 per pixel; it is
    /// used as scratch while tracing and restored to 0/1 before returning.
    /// </summary>
    public static List<int[]> TraceOuterRings(Span<byte> mask, int width, int height)
    {
        var rings = new List<int[]>();
        var vertices = new List<int>();
        try
        {
            for (var y = 0; y < height; y++)
            {
                var row = mask.Slice(y * width, width);
                var above = y > 0 ? mask.Slice((y - 1) * width, width) : default;
                for (var x = row.IndexOfAnyExcept((byte)0); x >= 0 && x < width; x++)
                {
                    // A top edge not yet walked starts a new loop; every loop's top edges are marked as it is walked.
                    if (row[x] != Inside || (y > 0 && (above[x] & Inside) != 0))
                    {
                        continue;
                    }
                    vertices.Clear();
                    var twiceArea = TraceLoop(mask, width, height, x, y, vertices);
                    // Outer borders run clockwise on screen (positive area); holes run the other way.
                    if (twiceArea > 0)
                    {
                        rings.Add([.. vertices]);
                    }
                }
            }
        }
        finally
        {
            MaskOps.KeepBit0(mask);
        }
        return rings;
    }

    private static long TraceLoop(Span<byte> mask, int width, int height, int startX, int startY, List<int> vertices)
    {
        var cx = startX;
        var cy = startY;
        var d = 0;
        long twiceArea = 0;
        int firstX = 0, firstY = 0, lastX = 0, lastY = 0;
        var any = false;
        while (true)
        {
            if (d == 0)
            {
                mask[(cy * width) + cx] |= TopEdgeTraced;
            }
            cx += StepX[d];
            cy += StepY[d];

            // Prefer the left turn so that pixels touching only at a corner stay in one component (8-connected).
            int next;
            if (IsInside(mask, width, height, cx + LeftX[d], cy + LeftY[d]))
            {
                next = (d + 3) & 3;
            }
            else if (IsInside(mask, width, height, cx + RightX[d], cy + RightY[d]))
            {
                next = d;
            }
            else
            {
                next = (d + 1) & 3;
            }

            if (next != d)
            {
                vertices.Add(cx);
                vertices.Add(cy);
                if (any)
                {
                    twiceArea += ((long)lastX * cy) - ((long)cx * lastY);
                }
                else
                {
                    (firstX, firstY, any) = (cx, cy, true);
                }
                (lastX, lastY) = (cx, cy);
            }
            d = next;
            if (cx == startX && cy == startY && d == 0)
            {
                break;
            }
        }
        return twiceArea + ((long)lastX * firstY) - ((long)firstX * lastY);
    }

    private static bool IsInside(Span<byte> mask, int width, int height, int x, int y) =>
        (uint)x < (uint)width && (uint)y < (uint)height && (mask[(y * width) + x] & Inside) != 0;
}
