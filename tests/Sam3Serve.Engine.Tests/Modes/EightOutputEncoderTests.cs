using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;
using Sam3Serve.Engine.Tests.Support;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

/// <summary>
/// The first usls export's vision encoder (same file name) has eight outputs, fpn_feat_0..3 then fpn_pos_0..3:
/// outputs are matched by name, and the levels no decoder reads are neither fetched nor cached.
/// </summary>
public sealed class EightOutputEncoderTests
{
    [Fact]
    public async Task Concept_EightOutputVisionEncoder_AnswersAndCachesOnlyTheLevelsTheDecoderReads()
    {
        using var dir = new TempDir("sam3-eight-outputs");
        FixtureBundle.Write(dir.Path);
        var path = Path.Combine(dir.Path, BundleFiles.VisionEncoder);
        var fourOutputBytes = OutputBytes(path);
        WriteEightOutputs(path);
        using (var session = new InferenceSession(path))
        {
            Assert.Equal(["fpn_feat_0", "fpn_feat_1", "fpn_feat_2", "fpn_feat_3", "fpn_pos_0", "fpn_pos_1", "fpn_pos_2", "fpn_pos_3"], session.OutputNames);
        }
        Assert.True(OutputBytes(path) > fourOutputBytes * 3 / 2, "the extra levels must not fit the cache below");

        // Room for the four used levels, not for all eight: an image is cached only if the unused levels were dropped.
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, ImageCacheBytes = fourOutputBytes * 3 / 2 });
        await engine.InitializeAsync(TestContext.Current.CancellationToken);
        var scene = SyntheticImage.Landscape();
        foreach (var colour in new[] { "red", "blue" })
        {
            var result = await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = [colour] }, scene.Image, TestContext.Current.CancellationToken);
            MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, colour == "red" ? scene.Red : scene.Blue, 2);
        }

        Assert.Equal(1, engine.Counters.VisionEncoderRuns);
        Assert.Equal(1, engine.Counters.ImageCacheHits);
    }

    // Bytes of one image's outputs (float32, batch 1), from the file's metadata.
    private static long OutputBytes(string path)
    {
        using var session = new InferenceSession(path);
        return session.OutputMetadata.Values.Sum(m => 4L * m.Dimensions.Select(d => d > 0 ? (long)d : 1).Aggregate(1L, (a, b) => a * b));
    }

    // Re-declares the outputs in the old export's order and adds the four levels the current one dropped
    // (copies of other levels: their values do not matter, their size does).
    private static void WriteEightOutputs(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var graph = model.Graph;
        var outputs = graph.Output.ToDictionary(o => o.Name);
        ValueInfoProto Copy(string source, string name)
        {
            var node = new NodeProto { OpType = "Identity", Name = "old_export_" + name };
            node.Input.Add(source);
            node.Output.Add(name);
            graph.Node.Add(node);
            var info = outputs[source].Clone();
            info.Name = name;
            return info;
        }
        var added = new Dictionary<string, ValueInfoProto>
        {
            ["fpn_feat_3"] = Copy("fpn_feat_2", "fpn_feat_3"),
            ["fpn_pos_0"] = Copy("fpn_feat_0", "fpn_pos_0"),
            ["fpn_pos_1"] = Copy("fpn_feat_1", "fpn_pos_1"),
            ["fpn_pos_3"] = Copy("fpn_pos_2", "fpn_pos_3"),
        };
        var all = outputs.Concat(added).ToDictionary(p => p.Key, p => p.Value);
        graph.Output.Clear();
        foreach (var name in new[] { "fpn_feat_0", "fpn_feat_1", "fpn_feat_2", "fpn_feat_3", "fpn_pos_0", "fpn_pos_1", "fpn_pos_2", "fpn_pos_3" })
        {
            graph.Output.Add(all[name]);
        }
        File.WriteAllBytes(path, model.ToByteArray());
        File.Delete(Path.Combine(Path.GetDirectoryName(path)!, BundleFiles.Manifest)); // the file no longer matches it
    }
}
