namespace Sam3Serve.Engine.Bundle;

/// <summary>
/// The five ONNX files of the default (v2) bundle by the part they play, each published in precision variants named
/// by <see cref="BundleFiles.ForVariant"/>. A role is identified by its plain (fp32) file name without <c>.onnx</c>,
/// which is also what <c>manifest.json</c> records in each file's <c>role</c>.
/// </summary>
/// <param name="Id">Plain file name without <c>.onnx</c> ("vision-encoder").</param>
/// <param name="FileName">Plain (fp32) file name.</param>
/// <param name="IsTracker">Part of the interactive/automatic pair (optional); otherwise of the concept set.</param>
public sealed record BundleRole(string Id, string FileName, bool IsTracker)
{
    /// <summary>Role recorded for the CLIP merges file.</summary>
    public const string VocabularyId = "vocabulary";

    /// <summary>Role recorded for a Hugging Face tokenizer.json the merges file was derived from.</summary>
    public const string TokenizerJsonId = "tokenizer-json";

    /// <summary>Detector vision encoder.</summary>
    public static BundleRole VisionEncoder { get; } = Of(BundleFiles.VisionEncoder, false);
    /// <summary>Text encoder.</summary>
    public static BundleRole TextEncoder { get; } = Of(BundleFiles.TextEncoder, false);
    /// <summary>v2 concept decoder.</summary>
    public static BundleRole Decoder { get; } = Of(BundleFiles.GeoEncoderMaskDecoder, false);
    /// <summary>Tracker vision encoder.</summary>
    public static BundleRole TrackerVisionEncoder { get; } = Of(BundleFiles.TrackerVisionEncoder, true);
    /// <summary>Tracker prompt encoder + mask decoder.</summary>
    public static BundleRole TrackerDecoder { get; } = Of(BundleFiles.TrackerDecoder, true);

    /// <summary>The five roles: the concept set first, then the tracker pair.</summary>
    public static IReadOnlyList<BundleRole> All { get; } = [VisionEncoder, TextEncoder, Decoder, TrackerVisionEncoder, TrackerDecoder];

    /// <summary>The role with <paramref name="id"/>, or null.</summary>
    public static BundleRole? FromId(string? id) => All.FirstOrDefault(r => r.Id == id);

    /// <summary>
    /// Reads a file name of one of the five roles: "tracker-vision-encoder-q4f16.onnx" is the tracker vision encoder in
    /// q4f16, a plain name is fp32. Null for other files (external-data companions, tokenizer files, v1 names).
    /// </summary>
    public static (BundleRole Role, string Variant)? Parse(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        foreach (var role in All)
        {
            if (fileName == role.FileName)
            {
                return (role, "fp32");
            }
            var prefix = role.Id + "-";
            if (fileName.StartsWith(prefix, StringComparison.Ordinal) && fileName.EndsWith(".onnx", StringComparison.Ordinal))
            {
                var variant = fileName[prefix.Length..^".onnx".Length];
                // A variant is one token ("q4f16"); "vision-encoder-x-y.onnx" is not one of ours.
                if (variant.Length > 0 && !variant.Contains('-', StringComparison.Ordinal) && !variant.Contains('.', StringComparison.Ordinal))
                {
                    return (role, variant);
                }
            }
        }
        return null;
    }

    /// <summary>This role's file name in <paramref name="variant"/>.</summary>
    public string FileFor(string variant) => BundleFiles.ForVariant(FileName, variant);

    private static BundleRole Of(string fileName, bool tracker) => new(fileName[..^".onnx".Length], fileName, tracker);
}
