namespace Sam3Serve.Client;

/// <summary>Whether a box exemplar shows the kind of object to find (positive) or a kind to leave out (negative).</summary>
public enum Sam3BoxLabel
{
    /// <summary>Label 0: a negative exemplar, "not this kind" (concept mode only).</summary>
    Negative = 0,
    /// <summary>Label 1: a positive exemplar, or an object box (<see cref="Sam3BoxMode.Object"/>).</summary>
    Positive = 1,
}

/// <summary>A box in pixels of the original image: top-left (<paramref name="X1"/>, <paramref name="Y1"/>), bottom-right (<paramref name="X2"/>, <paramref name="Y2"/>).</summary>
/// <param name="X1">Left edge.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge (greater than <paramref name="X1"/>).</param>
/// <param name="Y2">Bottom edge (greater than <paramref name="Y1"/>).</param>
public readonly record struct Sam3Box(double X1, double Y1, double X2, double Y2)
{
    // Null stands for Positive, so default(Sam3Box) and boxes built without a label are positive, and equal to
    // the same box with Label = Positive.
    private readonly Sam3BoxLabel? _label;

    /// <summary>A box with a <paramref name="label"/>, e.g. a negative exemplar.</summary>
    /// <param name="x1">Left edge.</param>
    /// <param name="y1">Top edge.</param>
    /// <param name="x2">Right edge (greater than <paramref name="x1"/>).</param>
    /// <param name="y2">Bottom edge (greater than <paramref name="y1"/>).</param>
    /// <param name="label">Positive or negative exemplar.</param>
    public Sam3Box(double x1, double y1, double x2, double y2, Sam3BoxLabel label)
        : this(x1, y1, x2, y2)
    {
        Label = label;
    }

    // ToString shows the label only on a negative box, so the boxes of results print as they always did. The compiler
    // calls PrintMembers from the record's ToString, which the unused-member rule does not see.
#pragma warning disable IDE0051
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("X1 = ").Append(X1).Append(", Y1 = ").Append(Y1).Append(", X2 = ").Append(X2).Append(", Y2 = ").Append(Y2)
            .Append(", Width = ").Append(Width).Append(", Height = ").Append(Height);
        if (Label != Sam3BoxLabel.Positive)
        {
            builder.Append(", Label = ").Append(Label);
        }
        return true;
    }
#pragma warning restore IDE0051

    /// <summary>Width of the box (<c>X2 - X1</c>).</summary>
    public double Width => X2 - X1;

    /// <summary>Height of the box (<c>Y2 - Y1</c>).</summary>
    public double Height => Y2 - Y1;

    /// <summary>
    /// In a request, <c>box_labels_input</c> for this box: <see cref="Sam3BoxLabel.Positive"/> (the default) or
    /// <see cref="Sam3BoxLabel.Negative"/> (a negative exemplar; concept mode only). Boxes of results are always positive.
    /// </summary>
    public Sam3BoxLabel Label
    {
        get => _label ?? Sam3BoxLabel.Positive;
        init => _label = value == Sam3BoxLabel.Positive ? null : value;
    }
}
