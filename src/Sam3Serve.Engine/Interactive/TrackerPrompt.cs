namespace Sam3Serve.Engine.Interactive;

/// <summary>
/// One tracker decoder run's prompt in the token forms of the reference implementation (transformers'
/// Sam3TrackerModel), every object with the same number of points, coordinates in the encoder's pixel frame:
/// <list type="bullet">
/// <item>points without a box: the points plus one "not a point" token (label −1), and no box;</item>
/// <item>boxes without points: one box per object and zero points (no placeholder token);</item>
/// <item>a box with points: the points and the box, nothing added.</item>
/// </list>
/// </summary>
internal sealed class TrackerPrompt
{
    private TrackerPrompt(int objects, int pointsPerObject, float[] points, long[] labels, float[] boxes)
    {
        Objects = objects;
        PointsPerObject = pointsPerObject;
        Points = points;
        Labels = labels;
        Boxes = boxes;
    }

    /// <summary>Objects in this run (the decoder's object dimension).</summary>
    public int Objects { get; }

    /// <summary>Points per object, placeholder tokens included (may be 0).</summary>
    public int PointsPerObject { get; }

    /// <summary>x, y per point, object-major: [objects × points × 2].</summary>
    public float[] Points { get; }

    /// <summary>Label per point: 1 foreground, 0 background, −1 "not a point": [objects × points].</summary>
    public long[] Labels { get; }

    /// <summary>x1, y1, x2, y2 per object, or empty: [objects × 4] or [0].</summary>
    public float[] Boxes { get; }

    /// <summary>Number of boxes (0, or one per object).</summary>
    public int BoxCount => Boxes.Length / 4;

    /// <summary>
    /// Points without a box: each object's points (<paramref name="pointsPerObject"/> x, y pairs each, with their
    /// labels) followed by the "not a point" token the reference adds when no box is given.
    /// </summary>
    public static TrackerPrompt PointsOnly(float[] points, long[] labels, int objects, int pointsPerObject)
    {
        CheckPoints(points, labels, objects, pointsPerObject);
        var withPad = pointsPerObject + 1;
        var paddedPoints = new float[objects * withPad * 2];
        var paddedLabels = new long[objects * withPad];
        for (var o = 0; o < objects; o++)
        {
            Array.Copy(points, o * pointsPerObject * 2, paddedPoints, o * withPad * 2, pointsPerObject * 2);
            Array.Copy(labels, o * pointsPerObject, paddedLabels, o * withPad, pointsPerObject);
            // The placeholder's coordinates are (0, 0), as the reference pads; its label makes the encoder ignore them.
            paddedLabels[(o * withPad) + pointsPerObject] = TrackerDecoder.NotAPointLabel;
        }
        return new TrackerPrompt(objects, withPad, paddedPoints, paddedLabels, []);
    }

    /// <summary>Boxes without points: box i (x1, y1, x2, y2) is object i; no point tokens at all.</summary>
    public static TrackerPrompt BoxesOnly(float[] boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        if (boxes.Length == 0 || boxes.Length % 4 != 0)
        {
            throw new ArgumentException($"boxes need 4 values each and at least one box, got {boxes.Length} values", nameof(boxes));
        }
        return new TrackerPrompt(boxes.Length / 4, 0, [], [], boxes);
    }

    /// <summary>One object from <paramref name="box"/> and points: the reference adds no token to either.</summary>
    public static TrackerPrompt BoxWithPoints(float[] box, float[] points, long[] labels)
    {
        ArgumentNullException.ThrowIfNull(box);
        if (box.Length != 4)
        {
            throw new ArgumentException("one box (4 values) per object", nameof(box));
        }
        CheckPoints(points, labels, 1, labels.Length);
        return new TrackerPrompt(1, labels.Length, points, labels, box);
    }

    private static void CheckPoints(float[] points, long[] labels, int objects, int pointsPerObject)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(labels);
        if (objects < 1 || pointsPerObject < 1 || points.Length != objects * pointsPerObject * 2 || labels.Length != objects * pointsPerObject)
        {
            throw new ArgumentException($"{objects} object(s) of {pointsPerObject} point(s) need {objects * pointsPerObject * 2} coordinates and {objects * pointsPerObject} labels, got {points.Length} and {labels.Length}");
        }
    }
}
