namespace Sam3Serve.Tests.Common;

/// <summary>Paths into the read-only ../shared folder that sits beside the repository root.</summary>
public static class SharedPaths
{
    private static readonly Lazy<string> SharedRoot = new(FindShared);

    /// <summary>The ../shared folder.</summary>
    public static string Root => SharedRoot.Value;

    /// <summary>A test photo from shared/testdata/images.</summary>
    public static string Image(string name) => Path.Combine(Root, "testdata", "images", name);

    /// <summary>The CLIP BPE merges file.</summary>
    public static string BpeVocab => Path.Combine(Root, "models", "sam3", "bpe_simple_vocab_16e6.txt.gz");

    private static string FindShared()
    {
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
        var env = Environment.GetEnvironmentVariable("SAM3SERVE_SHARED_DIR");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        throw new DirectoryNotFoundException("cannot find the shared/ folder beside the repository; set SAM3SERVE_SHARED_DIR");
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path) ?? "/";
}
