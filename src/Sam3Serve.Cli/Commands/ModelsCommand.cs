using System.CommandLine;
using System.Globalization;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Onnx.Optimization;
using Sam3Serve.Models;
using Sam3Serve.Fixture;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// <c>sam3serve models pull|list|verify|fixture</c>: fetch the SAM 3 ONNX bundle, show what is installed, check
/// it against its manifest, or write the tiny test fixture bundle.
/// </summary>
public static class ModelsCommand
{
    /// <summary>The bundle folder when <c>--dir</c> is not given.</summary>
    public static readonly string DefaultDirectory = Path.Combine(".", "models", "sam3");

    /// <summary>Builds the command tree.</summary>
    public static Command Create()
    {
        var models = new Command("models", "Download, list and verify the SAM 3 model files");
        models.Subcommands.Add(CreatePull());
        models.Subcommands.Add(CreateList());
        models.Subcommands.Add(CreateVerify());
        models.Subcommands.Add(CreateFixture());
        models.Subcommands.Add(CreateOptimize());
        return models;
    }

    private static Option<string> DirOption() => new("--dir")
    {
        Description = "The model bundle folder",
        DefaultValueFactory = _ => DefaultDirectory,
    };

    private static Command CreatePull()
    {
        var variant = new Option<string>("--variant")
        {
            Description = "A precision variant to try first for every file (fp32, fp16, q8, q4f16, ...); default: the provider's order",
        };
        var provider = new Option<string>("--execution-provider")
        {
            Description = "The provider the variants are chosen for: cpu (q8 > q4f16 > fp32 > fp16), cuda (fp16 > fp32 > q4f16) or tensorrt (fp32 > fp16)",
            DefaultValueFactory = _ => "cpu",
        };
        var dir = DirOption();
        var release = new Option<string>("--release")
        {
            Description = "The GitHub release to read, owner/repo@tag (default jamjamjon/assets@sam3)",
        };
        var apiBase = new Option<string>("--api-base")
        {
            Description = "The GitHub API root (default https://api.github.com)",
        };
        var baseUrl = new Option<string>("--base-url")
        {
            Description = "A plain mirror instead of a release: a folder URL serving the files and a manifest.json that lists them",
        };
        var pull = new Command("pull", "Ask the release what it holds, choose a variant per file, then download and verify; installs only when all are verified")
        {
            variant, provider, dir, release, apiBase, baseUrl,
        };
        pull.SetAction(async (parse, ct) =>
        {
            PullOptions options;
            try
            {
                options = new PullOptions
                {
                    Directory = parse.GetValue(dir)!,
                    Source = ModelProvisioning.SourceFrom(parse.GetValue(release), parse.GetValue(apiBase), parse.GetValue(baseUrl)),
                    ExecutionProvider = parse.GetValue(provider)!,
                    Variant = parse.GetValue(variant),
                    GitHubToken = ModelProvisioning.Token(),
                };
                _ = options.Order; // validates the provider name
            }
            catch (ArgumentException e)
            {
                return Fail(e.Message);
            }
            try
            {
                return await ModelProvisioning.PullAsync(options, ct);
            }
            catch (OperationCanceledException)
            {
                return Fail("cancelled; the next pull resumes where this one stopped");
            }
        });
        return pull;
    }

    private static Command CreateList()
    {
        var dir = DirOption();
        var list = new Command("list", "Show the variants installed in the bundle folder") { dir };
        list.SetAction(parse =>
        {
            var listing = ModelCatalog.List(parse.GetValue(dir)!);
            Console.WriteLine($"bundle folder: {listing.Directory}");
            if (listing.Variants.Count == 0)
            {
                Console.WriteLine("no model files installed; run `sam3serve models pull`");
            }
            foreach (var v in listing.Variants)
            {
                var state = v.Complete ? "complete"
                    : v.Variant == CpuGraphOptimizer.Variant && listing.ManifestVariant == CpuGraphOptimizer.Variant
                        ? "CPU form (models optimize) of these files; the others serve as they are"
                        : $"incomplete, missing {string.Join(", ", v.MissingFiles)}";
                var recorded = v.InManifest ? "" : " (not all in manifest.json)";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {v.Variant,-8} {v.Files.Count} file(s), {TerminalDownloadProgress.Bytes(v.TotalBytes),10}  {state}{recorded}"));
            }
            Console.WriteLine($"vocabulary ({BundleFiles.Vocabulary}): {(listing.HasVocabulary ? "present" : "missing (text prompts need it)")}");
            if (listing.ManifestVariant is { } last)
            {
                Console.WriteLine($"manifest.json: variant {last}");
            }
            try
            {
                // What `serve` would load, which may mix variants (a release without a file in the preferred one).
                var bundle = ModelBundle.Open(listing.Directory, null);
                Console.WriteLine($"serve loads{(bundle.IsMixed ? " (mixed variants)" : "")}: {string.Join(", ", bundle.FileVariants.Select(f => $"{f.Key} ({f.Value})"))}");
                foreach (var missing in bundle.Missing)
                {
                    Console.WriteLine($"  lacks {missing}");
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
            {
                Console.WriteLine($"serve cannot load this folder: {e.Message}");
            }
            return 0;
        });
        return list;
    }

    private static Command CreateVerify()
    {
        var dir = DirOption();
        var verify = new Command("verify", "Recompute the sha256 of every installed file and compare it with manifest.json") { dir };
        verify.SetAction((parse, ct) =>
        {
            var report = ModelVerifier.Verify(parse.GetValue(dir)!, ct);
            foreach (var file in report.Intact)
            {
                Console.WriteLine($"ok       {file.Name}");
            }
            foreach (var problem in report.Problems)
            {
                var label = problem.Kind switch
                {
                    VerificationProblemKind.Missing => "missing",
                    VerificationProblemKind.ManifestMissing => "error",
                    _ => "changed",
                };
                Console.Error.WriteLine($"{label,-8} {problem.Detail}");
            }
            Console.WriteLine(report.IsValid
                ? $"{report.Intact.Count} file(s) verified in {report.Directory}"
                : $"{report.Problems.Count} problem(s) in {report.Directory}; run `sam3serve models pull` to repair");
            return Task.FromResult(report.IsValid ? 0 : 1);
        });
        return verify;
    }

    private static Command CreateFixture()
    {
        var output = new Option<string>("--out")
        {
            Description = "Folder to write the tiny fixture bundle to (colour-rule graphs that find pure red, green and blue regions; a test instrument, not a model)",
            Required = true,
        };
        var fixture = new Command("fixture", "Write a tiny SAM 3-shaped test bundle (not a real model)") { output };
        fixture.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            var manifest = FixtureBundle.Write(path);
            Console.WriteLine($"wrote the fixture bundle ({manifest.Files.Count} file(s)) to {Path.GetFullPath(path)}");
            return 0;
        });
        return fixture;
    }

    private static Command CreateOptimize()
    {
        var dir = DirOption();
        var optimize = new Command("optimize",
            "Write the CPU form of the bundle beside its files (attention through ONNX Runtime's flash-attention kernel, large MatMuls as dynamic int8) and record it in manifest.json; --variant <the previous variant> still serves the originals")
        {
            dir,
        };
        optimize.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(dir)!;
            var bar = new TerminalOptimizationProgress(Console.Out, !Console.IsOutputRedirected);
            try
            {
                var result = await BundleOptimizer.OptimizeAsync(path, bar, ct);
                foreach (var g in result.Graphs)
                {
                    Console.WriteLine(g.Destination is { } written
                        ? string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(g.Source)} -> {Path.GetFileName(written)}: {g.AttentionBlocks} attention block(s), {g.QuantizedMatMuls} MatMul(s) int8, {TerminalDownloadProgress.Bytes(g.DataBytesWritten)} of int8 weights, {g.Elapsed.TotalSeconds:F1} s")
                        : $"{Path.GetFileName(g.Source)}: nothing to rewrite, served as it is");
                }
                Console.WriteLine($"manifest.json: variant {CpuGraphOptimizer.Variant} (CPU form), base_variant {result.BaseVariant} (serve --variant {result.BaseVariant} for the exact graphs)");
                return 0;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
            {
                return Fail(e.Message);
            }
        });
        return optimize;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
