using System.Diagnostics;
using System.Globalization;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Imaging.Input;
using Sam3Serve.MemoryProbe;

namespace Sam3Serve.ScaleBench;

/// <summary>
/// The engine beside bare ONNX Runtime sessions on a real-architecture bundle, in one process and one run:
/// first the bare graphs (trunk, necks, text encoder, decoders) on one image, then the engine per mode on a new image
/// and again on the same image (cached features), with peak RSS per step. Usage:
/// <c>BUNDLE_DIR [--image PATH] [--threads N] [--variant V] [--cases concept,point,...] [--skip-bare]</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("usage: BUNDLE_DIR [--image PATH] [--threads N] [--variant V] [--cases PREFIX,...] [--skip-bare]");
            return 2;
        }
        var bundleDir = args[0];
        var imagePath = Option(args, "--image") ?? Path.Combine(AppContext.BaseDirectory, "../../../../../shared/testdata/images/truck.jpg");
        var threads = int.Parse(Option(args, "--threads") ?? "0", CultureInfo.InvariantCulture);
        var only = Option(args, "--cases")?.Split(',');
        var options = new EngineOptions { ModelDir = bundleDir, IntraOpThreads = threads, Variant = Option(args, "--variant") };
        var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(imagePath), 100_000_000);
        Console.WriteLine($"bundle {bundleDir} (variant {options.Variant ?? "as the bundle says"}); image {Path.GetFileName(imagePath)} {image.Width}×{image.Height}; {Environment.ProcessorCount} CPUs; load {ProcStatus.LoadAverage()}");

        NativeHeap.Configure();
        var bare = new Dictionary<string, double>(StringComparer.Ordinal);
        double barePeak = 0;
        if (!args.Contains("--skip-bare"))
        {
            ProcStatus.TryResetPeak();
            using (var runner = new BareRunner())
            {
                runner.Run(bundleDir, options, image);
                foreach (var (k, v) in runner.Seconds)
                {
                    bare[k] = v;
                }
            }
            NativeHeap.Trim();
            barePeak = ProcStatus.PeakResidentBytes() / 1e9;
        }

        ProcStatus.TryResetPeak();
        var load = Stopwatch.StartNew();
        using var engine = new Sam3Engine(options);
        await engine.InitializeAsync(CancellationToken.None);
        Console.WriteLine($"engine ready in {load.Elapsed.TotalSeconds:F1} s (decoders warmed), shared trunk {engine.SharesTrunk}, RSS {ProcStatus.ResidentBytes() / 1e9:F2} GB, peak {ProcStatus.PeakResidentBytes() / 1e9:F2} GB");
        // One request first, as a server's first request: the trunk's and necks' first runs pay one-off packing.
        var first = Stopwatch.StartNew();
        await engine.SegmentAsync(new() { Mode = Contracts.Requests.SegmentationMode.Concept, TextPrompts = ["warm"] }, Variant(image, 255), CancellationToken.None);
        await engine.SegmentAsync(new() { Mode = Contracts.Requests.SegmentationMode.Interactive, Points = [new(10, 10, 1)] }, Variant(image, 255), CancellationToken.None);
        Console.WriteLine($"first requests (concept + point, one trunk pass): {first.Elapsed.TotalSeconds:F1} s, trunk passes {engine.Counters.TrunkPasses}");

        var automaticRuns = (int)Math.Ceiling(32 * 32 / (double)Engine.Interactive.TrackerDecoder.DefaultObjectBatch);
        var rows = new List<string>();
        var index = 0;
        foreach (var c in BenchCase.All(automaticRuns))
        {
            index++;
            if (only is not null && !only.Any(o => c.Name.StartsWith(o, StringComparison.Ordinal)))
            {
                continue;
            }
            var fresh = Variant(image, (byte)index);
            ProcStatus.TryResetPeak();
            var trunkBefore = engine.Counters.TrunkPasses;
            var (newSeconds, newResult) = await Time(engine, c.Request, fresh);
            var (cachedSeconds, _) = await Time(engine, c.CachedRequest, fresh);
            var peak = ProcStatus.PeakResidentBytes() / 1e9;
            var trunkPasses = engine.Counters.TrunkPasses - trunkBefore;
            var bareTotal = c.BareStages.All(bare.ContainsKey) ? c.BareStages.Sum(s => bare[s]) : double.NaN;
            var stages = newResult.StageSeconds;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Name} | {newSeconds:F2} | {bareTotal:F2} | {newSeconds / bareTotal:F3} | {Stage(stages, "encoder")} | {Stage(stages, "text")} | {Stage(stages, "decoder")} | {Stage(stages, "preprocess")} + {Stage(stages, "postprocess")} | {cachedSeconds:F2} | {trunkPasses} | {peak:F2} |"));
            Console.Error.WriteLine(rows[^1]);
        }

        Console.WriteLine();
        Console.WriteLine("Bare sessions (same graphs, same inputs, engine session options; second of two runs):");
        Console.WriteLine();
        Console.WriteLine("| graph | seconds |");
        Console.WriteLine("|---|---|");
        foreach (var (k, v) in bare)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {k} | {v:F2} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nbare phase peak RSS {barePeak:F2} GB\n"));
        Console.WriteLine("Engine, per mode (seconds; new = first request on a new image; bare = the same graph runs summed; stages of the new-image request):");
        Console.WriteLine();
        Console.WriteLine("| mode | new image | bare sum | ratio | image encoder | text | decoder | pre + post | cached image | trunk passes | peak RSS GB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nengine counters: trunk passes {engine.Counters.TrunkPasses}, detector features {engine.Counters.VisionEncoderRuns}, tracker features {engine.Counters.TrackerEncoderRuns}, cache hits {engine.Counters.ImageCacheHits}; load {ProcStatus.LoadAverage()}"));
        return 0;
    }

    private static string Stage(IReadOnlyDictionary<string, double> stages, string name) =>
        stages.TryGetValue(name, out var s) ? s.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static async Task<(double Seconds, SegmentationResult Result)> Time(Sam3Engine engine, Contracts.Requests.SegmentationRequest request, RgbImage image)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await engine.SegmentAsync(request, image, CancellationToken.None);
        return (Stopwatch.GetElapsedTime(start).TotalSeconds, result);
    }

    /// <summary>The same photo with one pixel changed: a new image to the feature cache, the same work to the model.</summary>
    private static RgbImage Variant(RgbImage image, byte marker)
    {
        var pixels = (byte[])image.Pixels.Clone();
        pixels[0] = marker;
        return new RgbImage(image.Width, image.Height, pixels);
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
