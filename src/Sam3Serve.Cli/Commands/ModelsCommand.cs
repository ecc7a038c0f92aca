using System.CommandLine;
using System.Globalization;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Bundle.Download;
using Sam3Serve.Engine.Fixture;

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
            Description = "Precision variant: fp32 (plain names), fp16 (GPUs), q8 (CPU, the default), q4f16, bnb4, ...",
            DefaultValueFactory = _ => ModelProvisioning.DefaultVariant("cpu"),
        };
        var dir = DirOption();
        var baseUrl = new Option<string>("--base-url")
        {
            Description = "Where the files are served (a mirror may also serve manifest.json with sha256 pins)",
            DefaultValueFactory = _ => PullOptions.DefaultBaseUrl,
        };
        var pull = new Command("pull", "Download the model files, resuming interrupted transfers; installs only when all are verified")
        {
            variant, dir, baseUrl,
        };
        pull.SetAction(async (parse, ct) =>
        {
            var options = new PullOptions
            {
                Variant = parse.GetValue(variant)!,
                Directory = parse.GetValue(dir)!,
                BaseUrl = parse.GetValue(baseUrl)!,
            };
            if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return Fail($"--base-url must be an http(s) URL, got '{options.BaseUrl}'");
            }
            Console.WriteLine($"pulling variant {options.Variant} from {options.BaseUrl} into {Path.GetFullPath(options.Directory)}");
            using var downloader = new ModelDownloader();
            try
            {
                var result = await downloader.PullAsync(options, TerminalDownloadProgress.ForConsole(), ct);
                var bytes = result.Files.Sum(f => f.Size);
                Console.WriteLine($"installed {result.Files.Count} file(s), {TerminalDownloadProgress.Bytes(bytes)}, {result.Downloaded.Count} downloaded now, in {result.Directory}");
                foreach (var (name, why) in result.NotOnServer)
                {
                    Console.Error.WriteLine($"warning: {name} was not downloaded: {why}");
                }
                return 0;
            }
            catch (ModelDownloadException e)
            {
                return Fail($"{e.Message}\nnothing was installed; what was fetched is kept in {Path.Combine(Path.GetFullPath(options.Directory), ModelDownloader.StagingFolder)} and the next pull resumes from it");
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
                var state = v.Complete ? "complete" : $"incomplete, missing {string.Join(", ", v.MissingFiles)}";
                var recorded = v.InManifest ? "" : " (not all in manifest.json)";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {v.Variant,-8} {v.Files.Count} file(s), {TerminalDownloadProgress.Bytes(v.TotalBytes),10}  {state}{recorded}"));
            }
            Console.WriteLine($"vocabulary ({BundleFiles.Vocabulary}): {(listing.HasVocabulary ? "present" : "missing (text prompts need it)")}");
            if (listing.ManifestVariant is { } last)
            {
                Console.WriteLine($"manifest.json: variant {last}");
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

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
