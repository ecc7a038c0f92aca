namespace Sam3Serve.Contracts.Inference;

/// <summary>
/// One object's binary mask at the original image size, produced row by row on demand. The engine keeps
/// low-resolution logits and upsamples a row only when a renderer asks, so memory grows with one mask
/// row, not with the number of masks times the image size.
/// </summary>
public interface IObjectMask
{
    /// <summary>Columns of the original image.</summary>
    int Width { get; }
    /// <summary>Rows of the original image.</summary>
    int Height { get; }
    /// <summary>Writes row <paramref name="y"/> into <paramref name="row"/> (length Width): 1 inside, 0 outside.</summary>
    void FillRow(int y, Span<byte> row);
}
