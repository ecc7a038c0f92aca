using Sam3Serve.Engine;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Models;
using Sam3Serve.Models.Sources;

namespace Sam3Serve.Cli.Commands;

/// <summary>Makes sure <c>serve</c> starts with a model bundle in place, pulling one from the release when allowed.</summary>
public static class ModelProvisioning
{
    /// <summary>The environment variable whose value is sent to the GitHub API as a bearer token.</summary>
    public const string TokenVariable = "GITHUB_TOKEN";

    /// <summary>
    /// The source named by the flags: <c>--base-url</c> (a mirror with manifest.json) or <c>--release owner/repo@tag</c>
    /// with <c>--api-base</c> (default: the usls release on api.github.com).
    /// </summary>
    /// <exception cref="ArgumentException">Malformed flags, or both a mirror and a release.</exception>
    public static BundleSource SourceFrom(string? release, string? apiBase, string? mirrorUrl)
    {
        if (!string.IsNullOrWhiteSpace(mirrorUrl))
        {
            if (!string.IsNullOrWhiteSpace(release) || !string.IsNullOrWhiteSpace(apiBase))
            {
                throw new ArgumentException("give either a mirror (--base-url / --model-base-url) or a release (--release, --api-base), not both");
            }
            return BundleSource.ParseMirror(mirrorUrl);
        }
        return BundleSource.ParseRelease(release, apiBase);
    }

    /// <summary>GITHUB_TOKEN from the environment, when set.</summary>
    public static string? Token() => Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token ? token : null;

    /// <summary>
    /// Asks the source what it holds, prints the plan, then downloads, verifies and installs it. Returns the exit code
    /// (0, or 1 after printing one clear message and how to supply the files).
    /// </summary>
    public static async Task<int> PullAsync(PullOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dir = Path.GetFullPath(options.Directory);
        Console.WriteLine($"Asking {options.Source} what it holds{(options.GitHubToken is null ? "" : $" ({TokenVariable} sent as a bearer token)")}.");
        using var downloader = new ModelDownloader();
        try
        {
            var plan = await downloader.PlanAsync(options, cancellationToken);
            Console.Write(plan.Describe());
            Console.Out.Flush();
            var result = await downloader.InstallAsync(plan, options, TerminalDownloadProgress.ForConsole(), cancellationToken);
            Console.WriteLine($"installed {result.Files.Count} file(s), {TerminalDownloadProgress.Bytes(result.Files.Sum(f => f.Size))}, {result.Downloaded.Count} downloaded now, in {result.Directory}");
            return 0;
        }
        catch (ModelSourceException e)
        {
            PrintHowToSupply(dir, e.Message);
        }
        catch (ModelDownloadException e)
        {
            PrintHowToSupply(dir, $"{e.Message}\nwhat was fetched is kept in {Path.Combine(dir, ModelDownloader.StagingFolder)} and the next pull resumes from it");
        }
        catch (IOException e)
        {
            PrintHowToSupply(dir, $"the model files could not be stored in {dir}: {e.Message}");
        }
        return 1;
    }

    /// <summary>True when a bundle is present (after pulling it when allowed); false after printing how to supply one.</summary>
    public static async Task<bool> EnsureBundleAsync(EngineOptions options, bool offline, BundleSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problem = Probe(options);
        if (problem is null)
        {
            return true;
        }
        var dir = Path.GetFullPath(options.ModelDir);
        if (offline)
        {
            PrintHowToSupply(dir, $"no usable model bundle in {dir} ({problem}) and --offline forbids downloading it");
            return false;
        }
        Console.WriteLine($"No usable model bundle in {dir}; downloading SAM 3 first.");
        var pull = new PullOptions
        {
            Directory = options.ModelDir,
            Source = source,
            ExecutionProvider = options.ExecutionProvider,
            Variant = options.Variant,
            GitHubToken = Token(),
        };
        if (await PullAsync(pull, cancellationToken) != 0)
        {
            return false;
        }
        problem = Probe(options);
        if (problem is not null)
        {
            PrintHowToSupply(dir, $"the downloaded bundle is not usable: {problem}");
            return false;
        }
        await OptimizeForCpuAsync(options, cancellationToken);
        return true;
    }

    /// <summary>
    /// After the first start downloaded a bundle for the CPU (no variant asked for), writes its CPU form
    /// (<see cref="BundleOptimizer"/>) with a progress bar, so the start serves it. A failure only costs the speed:
    /// the downloaded files serve as they are.
    /// </summary>
    private static async Task OptimizeForCpuAsync(EngineOptions options, CancellationToken cancellationToken)
    {
        if (!string.Equals(options.ExecutionProvider, "cpu", StringComparison.OrdinalIgnoreCase) || options.Variant is not null)
        {
            return;
        }
        Console.WriteLine("Writing the CPU form of the downloaded model (sam3serve models optimize; --variant <downloaded variant> serves the files as downloaded).");
        try
        {
            var result = await BundleOptimizer.OptimizeAsync(options.ModelDir, new TerminalOptimizationProgress(Console.Out, !Console.IsOutputRedirected), cancellationToken);
            var written = result.Graphs.Count(g => g.Destination is not null);
            Console.WriteLine(written > 0
                ? $"CPU form written for {written} of {result.Graphs.Count} graph(s); base variant {result.BaseVariant}"
                : "nothing in the downloaded graphs to rewrite; they serve as they are");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Google.Protobuf.InvalidProtocolBufferException)
        {
            Console.Error.WriteLine($"warning: could not write the CPU form ({e.Message}); serving the downloaded files");
        }
    }

    private static string? Probe(EngineOptions options)
    {
        try
        {
            ModelBundle.Open(options.ModelDir, options.Variant);
            return null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    private static void PrintHowToSupply(string dir, string why)
    {
        Console.Error.WriteLine($"error: {why}");
        Console.Error.WriteLine("Supply the model in one of these ways:");
        Console.Error.WriteLine($"  sam3serve models pull --dir {dir} [--release owner/repo@tag] [--api-base URL] [--variant V]   (on a machine that reaches the release; GITHUB_TOKEN raises the API rate limit)");
        Console.Error.WriteLine($"  sam3serve models pull --dir {dir} --base-url <mirror>   (a copy of an installed bundle folder, served with its manifest.json)");
        Console.Error.WriteLine($"  copy the ONNX files (vision-encoder, text-encoder, geo-encoder-mask-decoder, optionally the two tracker files; any one variant each), {BundleFiles.Vocabulary} and manifest.json from another installation into {dir}");
        Console.Error.WriteLine($"  sam3serve models fixture --out {dir}   (a tiny test instrument, not a model)");
    }
}
