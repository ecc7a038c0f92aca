using System.Buffers;
using System.Numerics;
using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Engine.Postprocessing;

/// <summary>
/// A mask kept as its low-resolution logits: each requested row is bilinearly upsampled (align_corners=false)
/// to the original width and thresholded at logit &gt; 0. No full-size buffer is ever held.
/// </summary>
internal sealed class LogitMask : IObjectMask
{
    private readonly float[] _logits;
    private readonly ResizePlan _plan;

    /// <summary>Wraps <paramref name="logits"/> (plan.SourceHeight × plan.SourceWidth, row-major; not copied).</summary>
    public LogitMask(float[] logits, ResizePlan plan)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(plan);
        if (logits.Length != plan.SourceWidth * plan.SourceHeight)
        {
            throw new ArgumentException($"expected {plan.SourceWidth}x{plan.SourceHeight} logits, got {logits.Length}", nameof(logits));
        }
        _logits = logits;
        _plan = plan;
    }

    /// <inheritdoc />
    public int Width => _plan.TargetWidth;

    /// <inheritdoc />
    public int Height => _plan.TargetHeight;

    /// <summary>The low-resolution logits.</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>The resize this mask uses.</summary>
    public ResizePlan Plan => _plan;

    /// <inheritdoc />
    public void FillRow(int y, Span<byte> row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        if (row.Length < Width)
        {
            throw new ArgumentException($"row needs {Width} bytes", nameof(row));
        }
        var buffer = ArrayPool<float>.Shared.Rent(Width);
        try
        {
            var values = buffer.AsSpan(0, Width);
            _plan.UpsampleRow(_logits, y, 0, values);
            for (var x = 0; x < values.Length; x++)
            {
                row[x] = values[x] > 0f ? (byte)1 : (byte)0;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Inclusive pixel bounds of the upsampled mask as x1, y1, x2, y2 (SAM's mask→box rule), or all zeros when empty.
    /// Only rows and columns that can see a positive low-resolution cell are evaluated.
    /// </summary>
    public float[] ComputeBox()
    {
        var low = LowResolutionBounds();
        if (low is null)
        {
            return [0, 0, 0, 0];
        }
        var (c0, r0, c1, r1) = low.Value;
        var x0 = _plan.Columns.FirstTargetTouching(c0);
        var x1 = _plan.Columns.LastTargetTouching(c1);
        var y0 = _plan.Rows.FirstTargetTouching(r0);
        var y1 = _plan.Rows.LastTargetTouching(r1);
        if (x0 > x1 || y0 > y1)
        {
            return [0, 0, 0, 0];
        }
        int minX = int.MaxValue, maxX = -1, minY = int.MaxValue, maxY = -1;
        var buffer = ArrayPool<float>.Shared.Rent(x1 - x0 + 1);
        try
        {
            var values = buffer.AsSpan(0, x1 - x0 + 1);
            for (var y = y0; y <= y1; y++)
            {
                _plan.UpsampleRow(_logits, y, x0, values);
                var first = -1;
                var last = -1;
                for (var i = 0; i < values.Length; i++)
                {
                    if (values[i] > 0f)
                    {
                        if (first < 0)
                        {
                            first = i;
                        }
                        last = i;
                    }
                }
                if (first >= 0)
                {
                    minX = Math.Min(minX, x0 + first);
                    maxX = Math.Max(maxX, x0 + last);
                    minY = Math.Min(minY, y);
                    maxY = y;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
        return maxX < 0 ? [0, 0, 0, 0] : [minX, minY, maxX, maxY];
    }

    /// <summary>
    /// Box of the positive low-resolution cells scaled to original pixels (cell edges), or null when no cell is
    /// positive. Cheap; used to rank and suppress candidates before exact boxes are computed.
    /// </summary>
    public float[]? ApproximateBox()
    {
        var low = LowResolutionBounds();
        if (low is null)
        {
            return null;
        }
        var (c0, r0, c1, r1) = low.Value;
        var sx = (float)Width / _plan.SourceWidth;
        var sy = (float)Height / _plan.SourceHeight;
        return [c0 * sx, r0 * sy, (c1 + 1) * sx, (r1 + 1) * sy];
    }

    /// <summary>Number of pixels inside the upsampled mask (evaluates every row).</summary>
    public long CountArea()
    {
        long area = 0;
        var row = ArrayPool<byte>.Shared.Rent(Width);
        try
        {
            for (var y = 0; y < Height; y++)
            {
                FillRow(y, row);
                for (var x = 0; x < Width; x++)
                {
                    area += row[x];
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
        }
        return area;
    }

    private (int C0, int R0, int C1, int R1)? LowResolutionBounds()
    {
        var w = _plan.SourceWidth;
        int c0 = int.MaxValue, r0 = int.MaxValue, c1 = -1, r1 = -1;
        for (var r = 0; r < _plan.SourceHeight; r++)
        {
            var row = _logits.AsSpan(r * w, w);
            var first = FirstPositive(row);
            if (first >= 0)
            {
                c0 = Math.Min(c0, first);
                c1 = Math.Max(c1, LastPositive(row));
                r0 = Math.Min(r0, r);
                r1 = r;
            }
        }
        return c1 < 0 ? null : (c0, r0, c1, r1);
    }

    private static int FirstPositive(ReadOnlySpan<float> values)
    {
        var i = 0;
        var width = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            // Skip whole vectors with no positive lane, then find the lane.
            for (; i + width <= values.Length; i += width)
            {
                if (Vector.GreaterThanAny(new Vector<float>(values.Slice(i, width)), Vector<float>.Zero))
                {
                    break;
                }
            }
        }
        for (; i < values.Length; i++)
        {
            if (values[i] > 0f)
            {
                return i;
            }
        }
        return -1;
    }

    private static int LastPositive(ReadOnlySpan<float> values)
    {
        for (var i = values.Length - 1; i >= 0; i--)
        {
            if (values[i] > 0f)
            {
                return i;
            }
        }
        return -1;
    }
}
