namespace Sam3Serve.Client;

/// <summary>A box in pixels of the original image: top-left (<paramref name="X1"/>, <paramref name="Y1"/>), bottom-right (<paramref name="X2"/>, <paramref name="Y2"/>).</summary>
/// <param name="X1">Left edge.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge (greater than <paramref name="X1"/>).</param>
/// <param name="Y2">Bottom edge (greater than <paramref name="Y1"/>).</param>
public readonly record struct Sam3Box(double X1, double Y1, double X2, double Y2)
{
    /// <summary>Width of the box (<c>X2 - X1</c>).</summary>
    public double Width => X2 - X1;

    /// <summary>Height of the box (<c>Y2 - Y1</c>).</summary>
    public double Height => Y2 - Y1;
}
