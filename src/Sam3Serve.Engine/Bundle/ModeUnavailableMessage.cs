using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Engine.Bundle;

/// <summary>The client-facing sentence for a mode the loaded bundle cannot run (no server paths in it).</summary>
internal static class ModeUnavailableMessage
{
    /// <summary>Names the mode, the files the bundle lacks (from <see cref="ModelBundle.Missing"/>) and what still works.</summary>
    public static string For(SegmentationMode mode, IReadOnlyList<string> missing)
    {
        ArgumentNullException.ThrowIfNull(missing);
        var (what, part, works) = mode switch
        {
            SegmentationMode.Concept => ("text prompts and box exemplars (concept mode)", "concept:", "points, boxes and automatic segmentation (no prompt)"),
            SegmentationMode.Interactive => ("points and boxes (interactive mode)", "tracker:", "text prompts"),
            _ => ("automatic segmentation (no prompt)", "tracker:", "text prompts"),
        };
        var files = missing.Where(m => m.StartsWith(part, StringComparison.Ordinal) || (mode == SegmentationMode.Concept && m.StartsWith("vocabulary", StringComparison.Ordinal)))
            .Select(m => m.StartsWith(part, StringComparison.Ordinal) ? m[part.Length..].Trim() : m)
            .ToList();
        return $"this server's model cannot do {what}: its bundle lacks {(files.Count > 0 ? string.Join(", ", files) : "the files for it")}; {works} still work";
    }
}
