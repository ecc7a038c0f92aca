using Sam3Serve.Engine.Bundle;
using System.Text.Json;

namespace Sam3Serve.Models;

/// <summary>Parsing, lookup and atomic writing of <see cref="BundleManifest"/> for pulls.</summary>
public static class ManifestJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Parses manifest JSON (as a mirror may serve it).</summary>
    public static BundleManifest Parse(string json) =>
        JsonSerializer.Deserialize<BundleManifest>(json) ?? throw new InvalidDataException("manifest.json is empty");

    /// <summary>Indented JSON.</summary>
    public static string ToJson(BundleManifest manifest) => JsonSerializer.Serialize(manifest, Indented);

    /// <summary>Writes <c>manifest.json</c> into <paramref name="directory"/> through a temporary file and a rename.</summary>
    public static void Write(BundleManifest manifest, string directory)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var path = Path.Combine(directory, BundleFiles.Manifest);
        var temp = path + ".tmp";
        File.WriteAllText(temp, ToJson(manifest));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The entry for <paramref name="name"/>, if recorded.</summary>
    public static BundleManifestFile? Find(this BundleManifest manifest, string name)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Files.FirstOrDefault(f => f.Name == name);
    }
}
