using Sam3Serve.Engine;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Bundle.Download;

namespace Sam3Serve.Cli.Commands;

/// <summary>Makes sure <c>serve</c> starts with a model bundle in place, pulling the default one when allowed.</summary>
public static class ModelProvisioning
{
    /// <summary>The variant pulled when none is named: int8 weights on CPU, half precision on GPUs.</summary>
    public static string DefaultVariant(string executionProvider) => executionProvider == "cpu" ? "q8" : "fp16";

    /// <summary>True when a bundle is present (after pulling it when allowed); false after printing how to supply one.</summary>
    public static async Task<bool> EnsureBundleAsync(EngineOptions options, bool offline, string? baseUrl, CancellationToken cancellationToken)
    {
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
        var variant = options.Variant ?? DefaultVariant(options.ExecutionProvider);
        Console.WriteLine($"No model bundle in {dir}; downloading SAM 3 ({variant}) first.");
        try
        {
            using var downloader = new ModelDownloader();
            await downloader.PullAsync(new PullOptions
            {
                Variant = variant,
                Directory = options.ModelDir,
                BaseUrl = baseUrl ?? PullOptions.DefaultBaseUrl,
            }, TerminalDownloadProgress.ForConsole(), cancellationToken);
        }
        catch (Exception e) when (e is ModelDownloadException or HttpRequestException or IOException)
        {
            PrintHowToSupply(dir, $"the model files could not be downloaded: {e.Message}");
            return false;
        }
        options.Variant = variant;
        problem = Probe(options);
        if (problem is not null)
        {
            PrintHowToSupply(dir, $"the downloaded bundle is not usable: {problem}");
            return false;
        }
        return true;
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
        Console.Error.WriteLine($"  sam3serve models pull --dir {dir} [--variant q8] [--base-url <mirror>]   (on a machine that can reach the release)");
        Console.Error.WriteLine($"  copy the ONNX files, {BundleFiles.Vocabulary} and manifest.json into {dir}");
        Console.Error.WriteLine($"  sam3serve models fixture --out {dir}   (a tiny test instrument, not a model)");
    }
}
