using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Text;

namespace Sam3Serve.Fixture;

/// <summary>
/// Writes a complete but tiny model bundle of generated ONNX graphs with the real files' input/output names, element
/// types and ranks. It is a TEST INSTRUMENT, not SAM 3: it segments pure red, green and blue regions by colour rules
/// (text "red"/"green"/"blue" or a box on such a region in concept mode; the colour under a point or box centre in
/// interactive and automatic mode), so tests and load runs can predict every output. Its manifest says
/// <c>"fixture": true</c> and every graph's doc_string says the same.
/// </summary>
public static class FixtureBundle
{
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>Text of every fixture graph's doc_string.</summary>
    public const string DocString = BundleManifest.FixtureDocString;

    /// <summary>The manifest's variant name.</summary>
    public const string VariantName = "fixture";

    /// <summary>Writes the bundle (v2 concept layout) into <paramref name="dir"/> (created if needed) and returns its manifest.</summary>
    public static BundleManifest Write(string dir) => Write(dir, ConceptLayout.V2);

    /// <summary>Writes the bundle with the given concept layout (v1: geometry-encoder.onnx + decoder.onnx).</summary>
    public static BundleManifest Write(string dir, ConceptLayout layout)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        Directory.CreateDirectory(dir);
        var vocabulary = Path.Combine(dir, BundleFiles.Vocabulary);
        FixtureVocabulary.Write(vocabulary);
        var keywordIds = KeywordIds(vocabulary);

        WriteModel(dir, BundleFiles.VisionEncoder, ConceptGraphs.VisionEncoder(DocString));
        WriteModel(dir, BundleFiles.TextEncoder, ConceptGraphs.TextEncoder(DocString, keywordIds));
        string[] conceptDecoders;
        if (layout == ConceptLayout.V2)
        {
            WriteModel(dir, BundleFiles.GeoEncoderMaskDecoder, ConceptGraphs.Decoder(DocString));
            conceptDecoders = [BundleFiles.GeoEncoderMaskDecoder];
        }
        else
        {
            WriteModel(dir, BundleFiles.GeometryEncoderV1, ConceptGraphs.GeometryEncoderV1(DocString));
            WriteModel(dir, BundleFiles.DecoderV1, ConceptGraphs.DecoderV1(DocString));
            conceptDecoders = [BundleFiles.GeometryEncoderV1, BundleFiles.DecoderV1];
        }
        WriteModel(dir, BundleFiles.TrackerVisionEncoder, TrackerGraphs.VisionEncoder(DocString));
        WriteModel(dir, BundleFiles.TrackerDecoder, TrackerGraphs.Decoder(DocString));

        string[] names =
        [
            BundleFiles.VisionEncoder, BundleFiles.TextEncoder, .. conceptDecoders,
            BundleFiles.TrackerVisionEncoder, BundleFiles.TrackerDecoder, BundleFiles.Vocabulary,
        ];
        var manifest = new BundleManifest
        {
            Variant = VariantName,
            Fixture = true,
            Files = names.Select(n => Describe(Path.Combine(dir, n))).ToArray(),
        };
        File.WriteAllText(Path.Combine(dir, BundleFiles.Manifest), JsonSerializer.Serialize(manifest, IndentedJson));
        return manifest;
    }

    /// <summary>The token id of each keyword (red, green, blue, visual) under the fixture vocabulary.</summary>
    public static IReadOnlyList<long> KeywordIds(string vocabularyPath)
    {
        var tokenizer = ClipTokenizer.FromMergesFile(vocabularyPath);
        var ids = new List<long>();
        foreach (var word in FixtureVocabulary.Keywords)
        {
            var encoded = tokenizer.Encode(word).InputIds;
            if (encoded[2] != tokenizer.EndOfText)
            {
                throw new InvalidOperationException($"the fixture vocabulary does not make '{word}' a single token");
            }
            ids.Add(encoded[1]);
        }
        return ids;
    }

    private static void WriteModel(string dir, string name, global::Onnx.ModelProto model)
    {
        using var file = File.Create(Path.Combine(dir, name));
        model.WriteTo(file);
    }

    private static BundleManifestFile Describe(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new BundleManifestFile(Path.GetFileName(path), new FileInfo(path).Length, hash);
    }
}
