namespace Sam3Serve.Engine.Bundle;

/// <summary>
/// File names of a SAM 3 model bundle and the precision-variant naming rule of the
/// public release: fp32 files keep their name, other variants insert <c>-&lt;variant&gt;</c> before
/// <c>.onnx</c> (<c>vision-encoder-q8.onnx</c>).
/// </summary>
public static class BundleFiles
{
    /// <summary>Concept path, 3-file (v2) set: vision encoder.</summary>
    public const string VisionEncoder = "vision-encoder.onnx";
    /// <summary>Concept path: CLIP text encoder with projection.</summary>
    public const string TextEncoder = "text-encoder.onnx";
    /// <summary>Concept path, v2: geometry encoder + DETR encoder/decoder + mask head.</summary>
    public const string GeoEncoderMaskDecoder = "geo-encoder-mask-decoder.onnx";
    /// <summary>Concept path, older 4-file (v1) set: geometry encoder.</summary>
    public const string GeometryEncoderV1 = "geometry-encoder.onnx";
    /// <summary>Concept path, older 4-file (v1) set: decoder taking prompt features.</summary>
    public const string DecoderV1 = "decoder.onnx";
    /// <summary>Interactive/automatic path: tracker vision encoder.</summary>
    public const string TrackerVisionEncoder = "tracker-vision-encoder.onnx";
    /// <summary>Interactive/automatic path: prompt encoder + mask decoder.</summary>
    public const string TrackerDecoder = "tracker-prompt-encoder-mask-decoder.onnx";
    /// <summary>CLIP BPE merges file.</summary>
    public const string Vocabulary = "bpe_simple_vocab_16e6.txt.gz";
    /// <summary>Per-file sizes and sha256 of what is installed (written by <c>models pull</c> and <c>models fixture</c>).</summary>
    public const string Manifest = "manifest.json";

    /// <summary>The default set: v2 concept files plus the tracker files.</summary>
    public static IReadOnlyList<string> DefaultOnnxFiles { get; } =
        [VisionEncoder, TextEncoder, GeoEncoderMaskDecoder, TrackerVisionEncoder, TrackerDecoder];

    /// <summary>The name a file has in a precision variant; "fp32" (or empty) keeps the plain name.</summary>
    public static string ForVariant(string baseName, string? variant)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        if (string.IsNullOrEmpty(variant) || variant is "fp32" || !baseName.EndsWith(".onnx", StringComparison.Ordinal))
        {
            return baseName;
        }
        return string.Concat(baseName.AsSpan(0, baseName.Length - ".onnx".Length), "-", variant, ".onnx");
    }
}
