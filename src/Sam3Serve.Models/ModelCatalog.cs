using Sam3Serve.Engine.Bundle;
namespace Sam3Serve.Models;

/// <summary>One precision variant found in a bundle folder.</summary>
/// <param name="Variant">"fp32" for plain names, otherwise the name suffix ("q8", "fp16", ...).</param>
/// <param name="Complete">All of <see cref="BundleFiles.DefaultOnnxFiles"/> are present in this variant.</param>
/// <param name="Files">Files of this variant that are present.</param>
/// <param name="MissingFiles">Files of the default set that are absent.</param>
/// <param name="TotalBytes">Size of the present files.</param>
/// <param name="InManifest">Every present file is recorded in <c>manifest.json</c>.</param>
public sealed record InstalledVariant(
    string Variant,
    bool Complete,
    IReadOnlyList<string> Files,
    IReadOnlyList<string> MissingFiles,
    long TotalBytes,
    bool InManifest);

/// <summary>A bundle folder's contents: the variants present and whether the tokenizer vocabulary is there.</summary>
/// <param name="Directory">The folder listed.</param>
/// <param name="Variants">Variants with at least one file present, plain (fp32) first.</param>
/// <param name="HasVocabulary">The CLIP merges file is present.</param>
/// <param name="ManifestVariant">The variant <c>manifest.json</c> names, when it exists.</param>
public sealed record BundleListing(
    string Directory,
    IReadOnlyList<InstalledVariant> Variants,
    bool HasVocabulary,
    string? ManifestVariant);

/// <summary>Finds which precision variants of the model files a bundle folder holds (by file name).</summary>
public static class ModelCatalog
{
    /// <summary>Lists <paramref name="directory"/>; a folder that does not exist lists as empty.</summary>
    public static BundleListing List(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            return new BundleListing(full, [], false, null);
        }
        var manifest = BundleManifest.TryRead(full);
        var names = Directory.EnumerateFiles(full).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);

        var variants = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (VariantOf(name) is { } variant)
            {
                variants.Add(variant);
            }
        }

        var listed = variants
            .OrderBy(v => v == "fp32" ? 0 : 1).ThenBy(v => v, StringComparer.Ordinal)
            .Select(v => Describe(full, v, names, manifest))
            .ToList();
        return new BundleListing(full, listed, names.Contains(BundleFiles.Vocabulary), manifest?.Variant);
    }

    /// <summary>The variant a default-set file name belongs to, or null for other files.</summary>
    internal static string? VariantOf(string fileName) => BundleRole.Parse(fileName)?.Variant;

    private static InstalledVariant Describe(string directory, string variant, HashSet<string> present, BundleManifest? manifest)
    {
        var expected = BundleFiles.DefaultOnnxFiles.Select(f => BundleFiles.ForVariant(f, variant)).ToList();
        var have = expected.Where(present.Contains).ToList();
        var missing = expected.Where(f => !present.Contains(f)).ToList();
        var bytes = have.Sum(f => new FileInfo(Path.Combine(directory, f)).Length);
        var recorded = manifest is not null && have.All(f => manifest.Find(f) is not null);
        return new InstalledVariant(variant, missing.Count == 0, have, missing, bytes, recorded);
    }
}
