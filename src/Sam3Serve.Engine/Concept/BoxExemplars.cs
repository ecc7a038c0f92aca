using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Engine.Concept;

/// <summary>Box exemplars as the concept decoder takes them.</summary>
internal static class BoxExemplars
{
    /// <summary>Label of a positive exemplar.</summary>
    public const long Positive = 1;
    /// <summary>Label of a negative exemplar.</summary>
    public const long Negative = 0;
    /// <summary>Label of a padding box the decoder ignores.</summary>
    public const long Padding = -10;

    /// <summary>
    /// Pixel boxes → normalised cx, cy, w, h and labels, padded with ignored boxes up to <paramref name="minCount"/>
    /// (at least one box is always produced: no boxes = one padding box).
    /// </summary>
    public static (float[] Boxes, long[] Labels, int Count) Encode(IReadOnlyList<BoxPrompt> boxes, int width, int height, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        var count = Math.Max(Math.Max(boxes.Count, minCount), 1);
        var encoded = new float[count * 4];
        var labels = new long[count];
        Array.Fill(labels, Padding);
        for (var i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            encoded[(i * 4) + 0] = (b.X1 + b.X2) / 2f / width;
            encoded[(i * 4) + 1] = (b.Y1 + b.Y2) / 2f / height;
            encoded[(i * 4) + 2] = (b.X2 - b.X1) / width;
            encoded[(i * 4) + 3] = (b.Y2 - b.Y1) / height;
            labels[i] = b.Positive ? Positive : Negative;
        }
        return (encoded, labels, count);
    }
}
