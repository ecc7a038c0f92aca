using System.Globalization;
using System.Text;

namespace Sam3Serve.Reference.Tests;

/// <summary>What the service answered for one object: score, box (x1, y1, x2, y2 pixels), row-major mask.</summary>
public sealed record ActualObject(double Score, double[] Box, byte[] Mask);

/// <summary>
/// One case compared with the reference by the README's rules: the same number of objects; per object the score,
/// the box and the mask IoU within bounds. A concept mask may meet the IoU bound against the spec-order mask
/// instead; a case may instead meet every bound against the PIL-pixel variant (the spec asks for PIL's resize).
/// </summary>
public sealed record ParityResult(string CaseId, string Kind, int Count, int ExpectedCount, double WorstScore, double WorstBox, double WorstIou, string Against, bool Passed)
{
    public static ParityResult Compare(ReferenceCase c, IReadOnlyList<ActualObject> actual, ParityBounds bounds)
    {
        var attempts = new List<ParityResult> { CompareWith(c, "reference", c.Objects, actual, bounds) };
        if (c.Pil is { } pil)
        {
            attempts.Add(CompareWith(c, "pil", pil, actual, bounds));
        }
        return attempts.FirstOrDefault(a => a.Passed)
            ?? attempts.OrderByDescending(a => a.Count == a.ExpectedCount).ThenByDescending(a => a.WorstIou).First();
    }

    private static ParityResult CompareWith(ReferenceCase c, string name, IReadOnlyList<ReferenceObject> expected, IReadOnlyList<ActualObject> actual, ParityBounds bounds)
    {
        double worstScore = 0, worstBox = 0, worstIou = 1;
        // Objects come in query order (concept) or prompt order (tracker) on both sides.
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            var e = expected[i];
            var a = actual[i];
            worstScore = Math.Max(worstScore, Math.Abs(a.Score - e.Score));
            for (var k = 0; k < 4; k++)
            {
                worstBox = Math.Max(worstBox, Math.Abs(a.Box[k] - e.Box[k]));
            }
            var iou = ReferenceMasks.Iou(a.Mask, e.Mask);
            if (c.IsConcept && e.MaskSpecOrder is { } specOrder)
            {
                iou = Math.Max(iou, ReferenceMasks.Iou(a.Mask, specOrder));
            }
            worstIou = Math.Min(worstIou, iou);
        }
        var passed = expected.Count == actual.Count && worstScore <= bounds.Score && worstBox <= bounds.BoxPixels && worstIou >= bounds.MaskIou;
        return new ParityResult(c.Id, c.Kind, actual.Count, expected.Count, worstScore, worstBox, worstIou, name, passed);
    }

    /// <summary>A Markdown table of <paramref name="results"/> (the README's form).</summary>
    public static string Table(IEnumerable<ParityResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| case | kind | objects (ours / reference) | worst score diff | worst box diff (px) | worst mask IoU | matched | result |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.CaseId} | {r.Kind} | {r.Count} / {r.ExpectedCount} | {r.WorstScore:0.0e+0} | {r.WorstBox:0.00} | {r.WorstIou:0.0000} | {r.Against} | {(r.Passed ? "pass" : "FAIL")} |");
        }
        return text.ToString();
    }
}
