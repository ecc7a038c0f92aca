using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;

namespace Sam3Serve.Tests.Common;

/// <summary>
/// Fills a <see cref="FakeGitHubRelease"/> with the fixture graphs (<see cref="FixtureBundle"/>) under the release's
/// variant names, and the fixture vocabulary as tokenizer.json (what the usls release ships instead of the merges file).
/// </summary>
public static class FixtureRelease
{
    /// <summary>Adds <paramref name="role"/>'s fixture graph under each of <paramref name="variants"/>' names.</summary>
    public static void Add(FakeGitHubRelease release, string fixtureDir, BundleRole role, params string[] variants)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(role);
        foreach (var variant in variants)
        {
            release.AddFile(role.FileFor(variant), Path.Combine(fixtureDir, role.FileName));
        }
    }

    /// <summary>
    /// Writes the fixture bundle to <paramref name="fixtureDir"/> and publishes tokenizer.json plus, for each role,
    /// the variants <paramref name="variantsFor"/> names (none: the role is absent from the release).
    /// </summary>
    public static void Publish(FakeGitHubRelease release, string fixtureDir, Func<BundleRole, string[]> variantsFor)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(variantsFor);
        FixtureBundle.Write(fixtureDir);
        var tokenizer = Path.Combine(fixtureDir, "tokenizer.json");
        FixtureVocabulary.WriteTokenizerJson(tokenizer);
        release.AddFile("tokenizer.json", tokenizer);
        foreach (var role in BundleRole.All)
        {
            Add(release, fixtureDir, role, variantsFor(role));
        }
    }

    /// <summary>Every variant the usls references name, for every role.</summary>
    public static readonly string[] AllVariants = ["fp32", "fp16", "q8", "q4f16", "bnb4"];
}
