using Xunit;

namespace Sam3Serve.Tests.Common;

/// <summary>
/// Paths into the read-only ../shared folder that sits beside the repository root (photos, the CLIP
/// vocabulary). A clone without it still tests green: every accessor reports the calling test skipped,
/// with the reason, when the folder or the file is absent. CI always has ../shared, so those tests run there.
/// Call these only inside a test body (not in MemberData or a static initializer), where a skip is a skip.
/// </summary>
public static class SharedPaths
{
    private static readonly Lazy<string?> SharedRoot = new(FindShared);

    /// <summary>Whether ../shared (or SAM3SERVE_SHARED_DIR) was found.</summary>
    public static bool Available => SharedRoot.Value is not null;

    /// <summary>The ../shared folder; skips the calling test when there is none.</summary>
    public static string Root => SharedRoot.Value ?? Skip(
        "needs ../shared (the read-only test data folder beside the repository: photos in testdata/images, " +
        "the CLIP vocabulary in models/sam3); not found beside this clone and SAM3SERVE_SHARED_DIR is not set");

    /// <summary>A test photo from shared/testdata/images; skips the calling test when it is absent.</summary>
    public static string Image(string name) => Existing(Path.Combine(Root, "testdata", "images", name), $"the test photo {name}");

    /// <summary>The CLIP BPE merges file; skips the calling test when it is absent.</summary>
    public static string BpeVocab => Existing(Path.Combine(Root, "models", "sam3", "bpe_simple_vocab_16e6.txt.gz"), "the CLIP vocabulary");

    /// <summary>
    /// The reference folder (a small random-weight SAM 3 bundle and the reference implementation's results on it);
    /// skips the calling test when it is absent.
    /// </summary>
    public static string ReferenceDir => Existing(Path.Combine(Root, "reference", "reference.json.gz"), "the reference results") is { } file
        ? Path.GetDirectoryName(file)!
        : Root;

    private static string Existing(string path, string what) =>
        File.Exists(path) ? path : Skip($"needs {what} at {path} (part of ../shared), which is absent");

    private static string Skip(string reason)
    {
        Assert.Skip(reason);
        return reason; // not reached: Assert.Skip throws
    }

    private static string? FindShared()
    {
        var env = Environment.GetEnvironmentVariable("SAM3SERVE_SHARED_DIR");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        // Walk up from the test binary, then from this source file (builds with --artifacts-path put the
        // binaries elsewhere), until a folder has shared/testdata in it.
        foreach (var start in new[] { AppContext.BaseDirectory, SourceDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "testdata")))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path) ?? "/";
}
