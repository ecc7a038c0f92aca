namespace Sam3Serve.Engine.Postprocessing;

/// <summary>Greedy box non-maximum suppression as torchvision's <c>nms</c> (xyxy, areas without +1).</summary>
internal static class BoxNms
{
    /// <summary>Intersection over union of two xyxy boxes; 0 when both are empty.</summary>
    public static float Iou(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var iw = Math.Max(0f, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]));
        var ih = Math.Max(0f, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        var intersection = iw * ih;
        var union = ((a[2] - a[0]) * (a[3] - a[1])) + ((b[2] - b[0]) * (b[3] - b[1])) - intersection;
        return union <= 0f ? 0f : intersection / union;
    }

    /// <summary>
    /// Indices of the boxes kept, highest score first: a box is dropped when its IoU with a kept, higher-scoring box
    /// is above <paramref name="iouThreshold"/>. Equal scores keep the earlier box first.
    /// </summary>
    public static List<int> Apply(IReadOnlyList<float[]> boxes, IReadOnlyList<float> scores, float iouThreshold)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(scores);
        if (boxes.Count != scores.Count)
        {
            throw new ArgumentException("one score per box");
        }
        var order = Enumerable.Range(0, boxes.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var suppressed = new bool[boxes.Count];
        var kept = new List<int>();
        for (var p = 0; p < order.Length; p++)
        {
            var i = order[p];
            if (suppressed[i])
            {
                continue;
            }
            kept.Add(i);
            for (var q = p + 1; q < order.Length; q++)
            {
                var j = order[q];
                if (!suppressed[j] && Iou(boxes[i], boxes[j]) > iouThreshold)
                {
                    suppressed[j] = true;
                }
            }
        }
        return kept;
    }
}
