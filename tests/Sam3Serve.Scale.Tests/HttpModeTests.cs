using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>Every mode over HTTP on the depth2 graphs, and the /v2 status showing the stage of a long request.</summary>
[Collection(ScaleCollection.Name)]
[Trait("Category", "Scale")]
public sealed class HttpModeTests(ScaleEngine scale)
{
    public static TheoryData<string, string> Requests() => new()
    {
        { "concept text", """{"text_prompt": "car", "threshold": 0.1, "max_masks": 3}""" },
        { "several prompts", """{"text_prompts": ["car", "tree"], "threshold": 0.1, "max_masks": 4}""" },
        { "box exemplars", """{"boxes_input": "[[40,40,200,180],[300,200,420,330]]", "threshold": 0.1, "max_masks": 2}""" },
        { "text + box", """{"text_prompt": "car", "boxes_input": "[[40,40,200,180]]", "threshold": 0.1, "max_masks": 2}""" },
        { "points with labels", """{"points_input": "[[100,100],[500,400]]", "point_labels_input": "[1,0]"}""" },
        { "point + box", """{"points_input": "[[120,110]]", "boxes_input": "[[40,40,200,180]]"}""" },
        { "object boxes", """{"boxes_input": "[[10,10,150,150],[200,50,400,300],[300,300,630,470]]", "box_mode": "object"}""" },
        { "automatic", """{"points_per_side": 4, "pred_iou_thresh": 0.5}""" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task V1_EveryMode_Answers200WithMasksOnTheImage(string mode, string fields)
    {
        ScaleBundle.Require();
        var body = JsonNode.Parse(fields)!.AsObject();
        body["image"] = Convert.ToBase64String(ScaleEngine.Jpeg(seed: 3));
        body["return_masks"] = true;
        body["mask_format"] = "rle";
        var response = await scale.Client!.PostAsJsonAsync("/v1/sam3-image", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{mode}: {(int)response.StatusCode} {text}");
        var output = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(640, (int)output["width"]!);
        var masks = output["masks"]!.AsArray();
        if (mode == "object boxes")
        {
            Assert.Equal(3, masks.Count);
        }
        foreach (var mask in masks)
        {
            var score = (double)mask!["score"]!;
            Assert.InRange(score, 0, 1);
            var area = (long)mask["area"]!;
            Assert.InRange(area, 0, 640 * 480);
            Assert.Equal(4, mask["box"]!.AsArray().Count);
            Assert.NotNull(mask["mask"]);
        }
    }

    [Fact]
    public async Task V2_StatusShowsTheImageEncoderStage_WhileANewImageRuns()
    {
        ScaleBundle.Require();
        var body = new JsonObject { ["image"] = Convert.ToBase64String(ScaleEngine.Jpeg(seed: 11)), ["text_prompt"] = "car" };
        var submit = await scale.Client!.PostAsJsonAsync("/v2/sam3-image", body);
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
        var statusUrl = (string)(await submit.Content.ReadFromJsonAsync<JsonObject>())!["status_url"]!;
        var stages = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        string status;
        do
        {
            var poll = (await scale.Client!.GetFromJsonAsync<JsonObject>(statusUrl))!;
            status = (string)poll["status"]!;
            if (poll["stage"] is { } stage)
            {
                stages.Add((string)stage!);
            }
            await Task.Delay(50);
        }
        while (status is "QUEUED" or "PROCESSING" && DateTime.UtcNow < deadline);
        Assert.Equal("COMPLETED", status);
        Assert.Contains("image encoder", stages);
    }
}
