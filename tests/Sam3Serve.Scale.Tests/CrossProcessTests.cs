using System.Text.Json.Nodes;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>
/// The depth2 graphs (the real architecture's tracker decoder, repaired at load like the reference's) answer the same
/// requests bit for bit in two separate server processes.
/// </summary>
[Collection(ScaleCollection.Name)]
[Trait("Category", "Scale")]
public sealed class CrossProcessTests : IDisposable
{
    private readonly TempDir _root = new("sam3serve-scale-processes");
    private readonly ServeProcesses _servers = new();

    [Fact]
    public async Task TwoServerProcesses_AnswerEveryTrackerFormAndConceptBitForBit()
    {
        var bundle = ScaleBundle.Require();
        var image = Convert.ToBase64String(ScaleEngine.Jpeg(seed: 5));
        (string Name, string Fields)[] requests =
        [
            ("points with labels", """{"points_input": "[[100,100],[500,400]]", "point_labels_input": "[1,0]"}"""),
            ("one point", """{"points_input": "[[320,240]]"}"""),
            ("object boxes", """{"boxes_input": "[[10,10,150,150],[200,50,400,300]]", "box_mode": "object"}"""),
            ("point + box", """{"points_input": "[[120,110]]", "boxes_input": "[[40,40,200,180]]"}"""),
            ("automatic", """{"points_per_side": 4, "pred_iou_thresh": 0.5}"""),
            ("concept text", """{"text_prompt": "car", "threshold": 0.1, "max_masks": 3}"""),
        ];
        var bodies = requests.Select(r =>
        {
            var body = JsonNode.Parse(r.Fields)!.AsObject();
            body["image"] = image;
            body["return_preview"] = false;
            body["return_masks"] = true;
            body["mask_format"] = "rle";
            return body;
        }).ToList();

        var first = await _servers.AnswersOfOneProcessAsync(bundle, Path.Combine(_root.Path, "data-1"), bodies, TimeSpan.FromMinutes(10), TestContext.Current.CancellationToken);
        var second = await _servers.AnswersOfOneProcessAsync(bundle, Path.Combine(_root.Path, "data-2"), bodies, TimeSpan.FromMinutes(10), TestContext.Current.CancellationToken);

        for (var i = 0; i < requests.Length; i++)
        {
            // Automatic mode may keep nothing on random weights (its stability filter); every other request returns masks.
            Assert.True(first[i].Length > 0 || requests[i].Name == "automatic", $"{requests[i].Name}: no mask at all, nothing compared");
            Assert.True(first[i] == second[i], $"{requests[i].Name}: the second process answered differently\n1: {first[i]}\n2: {second[i]}");
        }
    }

    public void Dispose()
    {
        _servers.Dispose();
        _root.Dispose();
    }
}
