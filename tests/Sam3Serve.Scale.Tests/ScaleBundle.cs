namespace Sam3Serve.Scale.Tests;

/// <summary>
/// Where the depth2 sam3-scale bundle is: <c>SAM3SERVE_SCALE_DIR</c>, else <c>artifacts/scale/depth2</c> under the
/// repository (test.sh writes it there with shared/models/sam3-scale/make-bundle, once). Null, with the reason, when
/// neither holds a bundle, so the tests report themselves skipped.
/// </summary>
internal static class ScaleBundle
{
    private static readonly Lazy<(string? Dir, string Reason)> Found = new(Find);

    public static string? Directory => Found.Value.Dir;

    public static string SkipReason => Found.Value.Reason;

    /// <summary>Skips the calling test when there is no bundle.</summary>
    public static string Require()
    {
        if (Directory is null)
        {
            Xunit.Assert.Skip(SkipReason);
        }
        return Directory!;
    }

    private static (string?, string) Find()
    {
        var env = Environment.GetEnvironmentVariable("SAM3SERVE_SCALE_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return File.Exists(Path.Combine(env, "manifest.json")) ? (env, "") : (null, $"SAM3SERVE_SCALE_DIR={env} holds no bundle (no manifest.json)");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "artifacts", "scale", "depth2");
            if (File.Exists(Path.Combine(candidate, "manifest.json")))
            {
                return (candidate, "");
            }
        }
        return (null, "no depth2 sam3-scale bundle: test.sh generates artifacts/scale/depth2 when ../shared/models/sam3-scale and python3-numpy are present (or set SAM3SERVE_SCALE_DIR)");
    }
}
