namespace Sam3Serve.Client;

/// <summary>Whether a point prompt marks the object (foreground) or what to leave out (background).</summary>
public enum Sam3PointLabel
{
    /// <summary>Label 0: the point is not part of the object.</summary>
    Background = 0,
    /// <summary>Label 1: the point is on the object.</summary>
    Foreground = 1,
}

/// <summary>A point prompt in pixels of the original image, sent in <c>points_input</c> and <c>point_labels_input</c>.</summary>
/// <param name="X">Column, pixels from the left edge.</param>
/// <param name="Y">Row, pixels from the top edge.</param>
/// <param name="Label">Foreground (1) or background (0).</param>
public readonly record struct Sam3Point(double X, double Y, Sam3PointLabel Label = Sam3PointLabel.Foreground);
