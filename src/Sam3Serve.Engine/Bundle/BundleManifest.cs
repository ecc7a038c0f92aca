using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sam3Serve.Engine.Bundle;

/// <summary>
/// The bundle's manifest.json: which variant it holds, whether it is the test fixture, and its files. A bundle pulled
/// from a release may mix variants (each file records its own <c>role</c> and <c>variant</c>); then
/// <see cref="Variant"/> is the variant that pull preferred.
/// </summary>
public sealed record BundleManifest
{
    /// <summary>Variant name ("fp32", "q8", "fixture", ...); for a mixed bundle the one its pull preferred.</summary>
    [JsonPropertyName("variant")]
    public string? Variant { get; init; }

    /// <summary>
    /// The variant the bundle served before <c>sam3serve models optimize</c> recorded its CPU form as
    /// <see cref="Variant"/> (<c>--variant</c> with this name, or a GPU provider, serves those files again); null
    /// when the bundle holds no optimized form.
    /// </summary>
    [JsonPropertyName("base_variant")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BaseVariant { get; init; }

    /// <summary>
    /// Text in the doc_string of every graph of the generated test fixture: the engine warns when a bundle that does
    /// not say it is the fixture holds such a graph.
    /// </summary>
    public const string FixtureDocString = "Sam3Serve TEST FIXTURE, not a SAM 3 model: colour-rule graphs with the SAM 3 ONNX interface.";

    /// <summary>True for the generated test fixture (not a real model).</summary>
    [JsonPropertyName("fixture")]
    public bool Fixture { get; init; }

    /// <summary>Installed files with sizes and hashes.</summary>
    [JsonPropertyName("files")]
    public IReadOnlyList<BundleManifestFile> Files { get; init; } = [];

    /// <summary>Reads manifest.json from <paramref name="dir"/>, or null if there is none.</summary>
    public static BundleManifest? TryRead(string dir)
    {
        var path = Path.Combine(dir, BundleFiles.Manifest);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<BundleManifest>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a valid manifest: {ex.Message}", ex);
        }
    }
}

/// <summary>One file of the manifest.</summary>
/// <param name="Name">File name inside the bundle folder.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">Lower-case hex digest.</param>
public sealed record BundleManifestFile(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256)
{
    /// <summary>The <see cref="BundleRole.Id"/> the file plays ("tracker-vision-encoder", "vocabulary"), when recorded.</summary>
    [JsonPropertyName("role")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    /// <summary>The file's precision variant ("q8", "q4f16", "fp32"), when recorded.</summary>
    [JsonPropertyName("variant")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Variant { get; init; }
}
