using System.Buffers;
using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Engine.Tiling;

/// <summary>A mask found on a crop, read on the original image: rows outside the crop are empty. Nothing is materialised.</summary>
internal sealed class OffsetMask(IObjectMask inner, int x, int y, int width, int height) : IObjectMask
{
    /// <inheritdoc />
    public int Width => width;

    /// <inheritdoc />
    public int Height => height;

    /// <inheritdoc />
    public void FillRow(int row, Span<byte> target)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, height);
        var line = target[..width];
        line.Clear();
        if (row < y || row >= y + inner.Height)
        {
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(inner.Width);
        try
        {
            inner.FillRow(row - y, buffer);
            buffer.AsSpan(0, inner.Width).CopyTo(line.Slice(x, inner.Width));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
