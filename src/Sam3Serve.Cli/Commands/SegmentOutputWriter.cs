using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// What both <c>segment</c> paths write: the -o folder (media files and result.json), the output object
/// with --json, else a summary.
/// </summary>
internal static class SegmentOutputWriter
{
    // Files and terminals, not HTML: keep RLE counts and base64 readable rather than \u-escaped.
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One object of the summary.</summary>
    public readonly record struct SummaryMask(int Index, double Score, IEnumerable<double> Box, long Area, int PromptIndex);

    /// <summary>
    /// Creates <paramref name="dir"/>, lets <paramref name="writeMedia"/> put the image files there (it returns how
    /// many, and may point <paramref name="output"/>'s fields at them), then writes <paramref name="output"/> as result.json.
    /// </summary>
    public static async Task WriteFolderAsync<T>(string dir, T output, Func<string, Task<int>> writeMedia, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dir);
        var written = await writeMedia(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "result.json"), JsonSerializer.Serialize(output, IndentedJson), cancellationToken);
        Console.Error.WriteLine($"wrote {written + 1} file(s) to {Path.GetFullPath(dir)}");
    }

    public static void PrintJson<T>(T output) => Console.WriteLine(JsonSerializer.Serialize(output, IndentedJson));

    /// <summary>
    /// "<c>mode: N object(s) in WxH</c>" plus <paramref name="details"/>, a line per mask, and a line of
    /// <paramref name="timings"/> (seconds, printed in ms) under <paramref name="timingsLabel"/> unless they are null.
    /// </summary>
    public static void PrintSummary(
        string? mode, int count, int? width, int? height, string details,
        IEnumerable<SummaryMask> masks, string timingsLabel, IEnumerable<KeyValuePair<string, double>>? timings)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"{mode}: {count} object(s) in {width}x{height}{details}");
        foreach (var mask in masks)
        {
            var box = string.Join(", ", mask.Box.Select(v => v.ToString("F1", c)));
            Console.WriteLine($"  #{mask.Index} score {mask.Score.ToString("F4", c)} box [{box}] area {mask.Area} prompt {mask.PromptIndex}");
        }
        if (timings is not null)
        {
            Console.WriteLine($"  {timingsLabel}: " + string.Join(", ", timings.Select(kv => $"{kv.Key} {(kv.Value * 1000).ToString("F1", c)} ms")));
        }
    }
}
