using System.Text.Json.Nodes;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Reference.Tests;

/// <summary>
/// The same requests answered by five separate <c>sam3serve serve</c> processes on the reference bundle must come back
/// bit for bit the same: a decoder that reads memory no input filled (as the exported tracker decoder did with zero
/// boxes) answers differently from one process to the next, which no in-process repeat can show.
/// </summary>
public sealed class CrossProcessTests : IDisposable
{
    private const int Processes = 5;
    private readonly TempDir _root = new("sam3serve-processes");
    private readonly ServeProcesses _servers = new();

    [Fact]
    public async Task FiveServerProcesses_AnswerInteractiveAutomaticAndConceptRequestsBitForBit()
    {
        var set = ReferenceSet.Instance;
        var requests = RequestsToRepeat(set);
        string[]? first = null;
        for (var p = 0; p < Processes; p++)
        {
            var answers = await _servers.AnswersOfOneProcessAsync(
                set.BundleDirectory, Path.Combine(_root.Path, $"data-{p}"), requests.Select(r => r.Body).ToList(), TimeSpan.FromMinutes(10), TestContext.Current.CancellationToken);
            if (first is null)
            {
                first = answers;
                var summary = string.Join("\n", requests.Select((r, i) => $"{r.Name}: {ServeProcesses.Summary(first[i])}"));
                TestContext.Current.SendDiagnosticMessage(summary);
                TestContext.Current.TestOutputHelper?.WriteLine(summary);
                continue;
            }
            for (var i = 0; i < requests.Count; i++)
            {
                Assert.True(first[i] == answers[i], $"{requests[i].Name}: process {p + 1} answered differently from process 1\n1: {first[i]}\n{p + 1}: {answers[i]}");
            }
        }
    }

    /// <summary>
    /// Each mode and each tracker prompt form: points without a box (positive and negative, the case that once varied),
    /// boxes as objects, a box with a point, automatic (8×8: one decoder run of 64 grid points; 32×32 costs minutes of
    /// CPU per process on this bundle), and concept text with a negative box.
    /// </summary>
    private static List<(string Name, JsonObject Body)> RequestsToRepeat(ReferenceSet set)
    {
        var list = new List<(string, JsonObject)>();
        foreach (var id in new[] { "truck-point-pos-neg", "cat-point-pos-neg", "truck-four-boxes", "truck-box-point", "truck-text", "truck-text-negative-box" })
        {
            var c = set.Cases.Single(k => k.Id == id);
            var body = ReferenceRequests.ForHttp(c);
            body["image"] = Convert.ToBase64String(set.ImageBytes(c));
            list.Add((id, body));
        }
        var cat = set.Cases.Single(k => k.Id == "cat-text");
        list.Add(("cat-automatic-8", new JsonObject
        {
            ["image"] = Convert.ToBase64String(set.ImageBytes(cat)),
            ["points_per_side"] = 8,
            ["pred_iou_thresh"] = 0.5,
            ["return_preview"] = false,
            ["return_masks"] = true,
            ["mask_format"] = "rle",
        }));
        return list;
    }

    public void Dispose()
    {
        _servers.Dispose();
        _root.Dispose();
    }
}
