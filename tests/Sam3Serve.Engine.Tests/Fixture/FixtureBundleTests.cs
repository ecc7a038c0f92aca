using System.Security.Cryptography;
using System.Text.Json;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Text;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Fixture;

public sealed class FixtureBundleTests
{
    [Fact]
    public void Write_Manifest_MarksFixtureAndHashesEveryFile()
    {
        using var dir = new TempDir();

        FixtureBundle.Write(dir.Path);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, BundleFiles.Manifest)));
        var root = json.RootElement;
        Assert.Equal("fixture", root.GetProperty("variant").GetString());
        Assert.True(root.GetProperty("fixture").GetBoolean());
        var files = root.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(6, files.Count);
        foreach (var file in files)
        {
            var path = Path.Combine(dir.Path, file.GetProperty("name").GetString()!);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(bytes.Length, file.GetProperty("size").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.GetProperty("sha256").GetString());
            Assert.True(bytes.Length < 1_000_000, $"{path} should stay small");
        }
    }

    [Fact]
    public void Write_Graphs_SayTheyAreAFixtureAndUseTheRealTensorNames()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        var options = new EngineOptions();

        using var vision = OnnxModel.Load(Path.Combine(dir.Path, BundleFiles.VisionEncoder), options);
        using var text = OnnxModel.Load(Path.Combine(dir.Path, BundleFiles.TextEncoder), options);
        using var decoder = OnnxModel.Load(Path.Combine(dir.Path, BundleFiles.GeoEncoderMaskDecoder), options);
        using var trackerDecoder = OnnxModel.Load(Path.Combine(dir.Path, BundleFiles.TrackerDecoder), options);

        Assert.Contains("TEST FIXTURE", vision.DocString, StringComparison.Ordinal);
        Assert.Equal(["fpn_feat_0", "fpn_feat_1", "fpn_feat_2", "fpn_pos_2"], vision.Outputs.Select(o => o.Name));
        Assert.Equal(["text_features", "text_mask"], text.Outputs.Select(o => o.Name));
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Bool, text.Output("text_mask").ElementType);
        Assert.Equal(["pred_masks", "pred_boxes", "pred_logits", "presence_logits"], decoder.Outputs.Select(o => o.Name));
        Assert.Equal(4, decoder.Output("pred_masks").Rank);
        Assert.Equal(["iou_scores", "pred_masks", "object_score_logits"], trackerDecoder.Outputs.Select(o => o.Name));
        Assert.Equal(5, trackerDecoder.Output("pred_masks").Rank);
        Assert.Equal(-1, trackerDecoder.Input("input_points").Dim(1)); // object dimension is dynamic
    }

    [Fact]
    public void Write_Vocabulary_MakesEachKeywordOneToken()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        var tokenizer = ClipTokenizer.FromMergesFile(Path.Combine(dir.Path, BundleFiles.Vocabulary));

        var ids = FixtureBundle.KeywordIds(Path.Combine(dir.Path, BundleFiles.Vocabulary));

        Assert.Equal(4, ids.Distinct().Count());
        var purple = tokenizer.Encode("purple").InputIds;
        Assert.DoesNotContain(purple, id => ids.Contains(id));
        Assert.Equal(tokenizer.StartOfText, purple[0]);
    }
}
