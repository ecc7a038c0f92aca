namespace Sam3Serve.Contracts.Inference;

/// <summary>
/// A decoded image: 8-bit RGB, rows top to bottom, no padding between rows, EXIF orientation already
/// applied. <see cref="Width"/> and <see cref="Height"/> are the size the client's coordinates refer to.
/// </summary>
public sealed class RgbImage
{
    /// <summary>Wraps pixels; <paramref name="pixels"/> must hold exactly width × height × 3 bytes.</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * 3)
        {
            throw new ArgumentException($"expected {(long)width * height * 3} bytes for {width}x{height} RGB, got {pixels.LongLength}", nameof(pixels));
        }
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }
    /// <summary>Rows.</summary>
    public int Height { get; }
    /// <summary>RGB24 bytes, row-major.</summary>
    public byte[] Pixels { get; }
    /// <summary>One row's bytes (Width × 3).</summary>
    public ReadOnlySpan<byte> Row(int y) => Pixels.AsSpan(y * Width * 3, Width * 3);
}
