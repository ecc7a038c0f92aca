using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Bundle;

public sealed class ModelBundleTests
{
    [Fact]
    public void Open_FixtureV2_FindsConceptTrackerAndVocabulary()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);

        var bundle = ModelBundle.Open(dir.Path, null);

        Assert.Equal(ConceptLayout.V2, bundle.Concept!.Layout);
        Assert.EndsWith(BundleFiles.GeoEncoderMaskDecoder, bundle.Concept.Decoder);
        Assert.NotNull(bundle.Tracker);
        Assert.True(bundle.IsFixture);
        Assert.Equal("fp32", bundle.Variant);
        Assert.Empty(bundle.Missing);
    }

    [Fact]
    public void Open_ManifestWithCpuForm_ServesIt_AndTheBaseVariantServesTheOriginals()
    {
        using var dir = new TempDir();
        var written = FixtureBundle.Write(dir.Path);
        // As models optimize records it: the base files with their role, a CPU form for some roles only.
        File.Copy(Path.Combine(dir.Path, BundleFiles.VisionEncoder), Path.Combine(dir.Path, "vision-encoder-int8.onnx"));
        File.Copy(Path.Combine(dir.Path, BundleFiles.TrackerVisionEncoder), Path.Combine(dir.Path, "tracker-vision-encoder-int8.onnx"));
        var files = written.Files.Select(f => BundleRole.Parse(f.Name) is { } r ? f with { Role = r.Role.Id, Variant = "fp32" } : f).ToList();
        files.Add(new BundleManifestFile("vision-encoder-int8.onnx", 1, "x") { Role = "vision-encoder", Variant = "int8" });
        files.Add(new BundleManifestFile("tracker-vision-encoder-int8.onnx", 1, "x") { Role = "tracker-vision-encoder", Variant = "int8" });
        var manifest = new BundleManifest { Variant = "int8", BaseVariant = "fp32", Fixture = true, Files = files };
        File.WriteAllText(Path.Combine(dir.Path, BundleFiles.Manifest), System.Text.Json.JsonSerializer.Serialize(manifest));

        var served = ModelBundle.Open(dir.Path, null);
        var named = ModelBundle.Open(dir.Path, "int8");
        var exact = ModelBundle.Open(dir.Path, "fp32");

        Assert.Equal("int8", served.Variant);
        Assert.EndsWith("vision-encoder-int8.onnx", served.Concept!.VisionEncoder);
        Assert.EndsWith("tracker-vision-encoder-int8.onnx", served.Tracker!.VisionEncoder);
        Assert.EndsWith(BundleFiles.TextEncoder, served.Concept.TextEncoder); // no CPU form of its own: the base file
        Assert.Equal(served.Concept, named.Concept);
        Assert.Equal("fp32", exact.Variant);
        Assert.EndsWith(BundleFiles.VisionEncoder, exact.Concept!.VisionEncoder);
        Assert.EndsWith(BundleFiles.TrackerVisionEncoder, exact.Tracker!.VisionEncoder);
        Assert.False(exact.IsMixed);
    }

    [Fact]
    public void Open_V2DecoderSavedAsDecoderOnnx_IsRecognisedByItsInputs()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        File.Move(Path.Combine(dir.Path, BundleFiles.GeoEncoderMaskDecoder), Path.Combine(dir.Path, BundleFiles.DecoderV1));

        var bundle = ModelBundle.Open(dir.Path, null);

        Assert.Equal(ConceptLayout.V2, bundle.Concept!.Layout);
        Assert.EndsWith(BundleFiles.DecoderV1, bundle.Concept.Decoder);
    }

    [Fact]
    public void Open_FixtureV1_FindsTheFourFileLayout()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path, ConceptLayout.V1);

        var bundle = ModelBundle.Open(dir.Path, null);

        Assert.Equal(ConceptLayout.V1, bundle.Concept!.Layout);
        Assert.EndsWith(BundleFiles.GeometryEncoderV1, bundle.Concept.GeometryEncoder);
    }

    [Fact]
    public void Open_V1DecoderWithoutGeometryEncoder_ReportsItMissing()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path, ConceptLayout.V1);
        File.Delete(Path.Combine(dir.Path, BundleFiles.GeometryEncoderV1));

        var bundle = ModelBundle.Open(dir.Path, null);

        Assert.Null(bundle.Concept);
        Assert.NotNull(bundle.Tracker);
        Assert.Contains(bundle.Missing, m => m.Contains(BundleFiles.GeometryEncoderV1, StringComparison.Ordinal));
    }

    [Fact]
    public void Open_NoModelFiles_ThrowsListingWhatIsMissing()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "readme.txt"), "nothing here");

        var error = Assert.Throws<FileNotFoundException>(() => ModelBundle.Open(dir.Path, null));

        foreach (var name in new[] { BundleFiles.VisionEncoder, BundleFiles.TextEncoder, BundleFiles.GeoEncoderMaskDecoder, BundleFiles.TrackerVisionEncoder, BundleFiles.TrackerDecoder })
        {
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Open_VariantGiven_PicksThatVariantsFiles()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        foreach (var name in BundleFiles.DefaultOnnxFiles)
        {
            File.Copy(Path.Combine(dir.Path, name), Path.Combine(dir.Path, BundleFiles.ForVariant(name, "q8")));
        }

        var q8 = ModelBundle.Open(dir.Path, "q8");
        var auto = ModelBundle.Open(dir.Path, null);

        Assert.Equal("q8", q8.Variant);
        Assert.EndsWith("vision-encoder-q8.onnx", q8.Concept!.VisionEncoder);
        Assert.EndsWith("tracker-prompt-encoder-mask-decoder-q8.onnx", q8.Tracker!.Decoder);
        Assert.EndsWith("vision-encoder.onnx", auto.Concept!.VisionEncoder);
    }

    [Fact]
    public void Open_OnlyAVariantPresent_AutoPicksIt()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        foreach (var name in BundleFiles.DefaultOnnxFiles)
        {
            File.Move(Path.Combine(dir.Path, name), Path.Combine(dir.Path, BundleFiles.ForVariant(name, "fp16")));
        }

        var bundle = ModelBundle.Open(dir.Path, null);

        Assert.Equal("fp16", bundle.Variant);
        Assert.NotNull(bundle.Tracker);
    }

    [Fact]
    public void OnnxInputNames_FixtureDecoder_ReadsNamesInOrder()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);

        var names = OnnxInputNames.Read(Path.Combine(dir.Path, BundleFiles.GeoEncoderMaskDecoder));

        Assert.Equal(["fpn_feat_0", "fpn_feat_1", "fpn_feat_2", "fpn_pos_2", "text_features", "text_mask", "input_boxes", "input_boxes_labels"], names);
    }
}
