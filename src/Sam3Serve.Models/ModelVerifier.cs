using Sam3Serve.Engine.Bundle;
using System.Security.Cryptography;

namespace Sam3Serve.Models;

/// <summary>What is wrong with one file of a bundle.</summary>
public enum VerificationProblemKind
{
    /// <summary>The folder has no <c>manifest.json</c> (never pulled, or an install was interrupted).</summary>
    ManifestMissing,
    /// <summary>A file the manifest records is not there.</summary>
    Missing,
    /// <summary>The file's length differs from the manifest.</summary>
    SizeChanged,
    /// <summary>The file's sha256 differs from the manifest.</summary>
    HashChanged,
}

/// <summary>One finding of <see cref="ModelVerifier.Verify"/>.</summary>
/// <param name="File">File name (the manifest's name for <see cref="VerificationProblemKind.ManifestMissing"/>).</param>
/// <param name="Kind">What is wrong.</param>
/// <param name="Detail">A sentence for people.</param>
public sealed record VerificationProblem(string File, VerificationProblemKind Kind, string Detail);

/// <summary>The result of checking a bundle folder against its manifest.</summary>
/// <param name="Directory">The folder checked.</param>
/// <param name="Variant">The manifest's variant, when there is a manifest.</param>
/// <param name="Intact">Files whose size and hash match.</param>
/// <param name="Problems">Everything that does not match.</param>
public sealed record VerificationReport(
    string Directory,
    string? Variant,
    IReadOnlyList<BundleManifestFile> Intact,
    IReadOnlyList<VerificationProblem> Problems)
{
    /// <summary>True when there is a manifest and every file it records is intact.</summary>
    public bool IsValid => Problems.Count == 0;
}

/// <summary>Recomputes the sha256 of every file recorded in a bundle's <c>manifest.json</c>.</summary>
public static class ModelVerifier
{
    /// <summary>Checks <paramref name="directory"/>; reads every recorded file once.</summary>
    public static VerificationReport Verify(string directory, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        var manifest = BundleManifest.TryRead(full);
        if (manifest is null)
        {
            return new VerificationReport(full, null, [],
                [new VerificationProblem(BundleFiles.Manifest, VerificationProblemKind.ManifestMissing,
                    $"{Path.Combine(full, BundleFiles.Manifest)} does not exist; pull the models (or write the fixture) first")]);
        }

        var intact = new List<BundleManifestFile>();
        var problems = new List<VerificationProblem>();
        foreach (var entry in manifest.Files)
        {
            ct.ThrowIfCancellationRequested();
            var path = Path.Combine(full, entry.Name);
            if (!File.Exists(path))
            {
                problems.Add(new VerificationProblem(entry.Name, VerificationProblemKind.Missing, $"{entry.Name} is missing"));
                continue;
            }
            var size = new FileInfo(path).Length;
            if (size != entry.Size)
            {
                problems.Add(new VerificationProblem(entry.Name, VerificationProblemKind.SizeChanged,
                    $"{entry.Name} has {size} bytes, the manifest records {entry.Size}"));
                continue;
            }
            string sha;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            {
                sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            if (!FileHashing.Matches(entry.Sha256, sha))
            {
                problems.Add(new VerificationProblem(entry.Name, VerificationProblemKind.HashChanged,
                    $"{entry.Name} has sha256 {sha}, the manifest records {entry.Sha256}"));
                continue;
            }
            intact.Add(entry);
        }
        return new VerificationReport(full, manifest.Variant, intact, problems);
    }
}
