using System.Diagnostics;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine;

namespace Sam3Serve.MemoryProbe;

/// <summary>
/// The second-prompt speed-up of the image-feature cache: text "red" on a fresh 1800×1200 image (the vision encoder
/// runs), then "green" on the same image (its features come from the cache). Counters prove which ran.
/// </summary>
internal static class CacheProbeRun
{
    private const int Width = 1800;
    private const int Height = 1200;
    private const int WarmUpRounds = 3;
    private static readonly string[] Stages = ["preprocess", "encoder", "text", "decoder", "postprocess"];

    public static async Task RunAsync(Sam3Engine engine, int rounds)
    {
        var cold = new List<Sample>();
        var warm = new List<Sample>();
        var totalsBefore = Snapshot(engine.Counters);
        for (var round = -WarmUpRounds; round < rounds; round++)
        {
            // Negative variants are the warm-up images; every image has its own pixels, so its own cache key.
            var image = ProbeImages.Grid(Width, Height, 6, 15, variant: 1000 + round);
            if (round == 0)
            {
                totalsBefore = Snapshot(engine.Counters);
            }
            var first = await TimeAsync(engine, image, "red");
            var second = await TimeAsync(engine, image, "green");
            if (round >= 0)
            {
                cold.Add(first);
                warm.Add(second);
            }
        }
        var totals = Snapshot(engine.Counters).Minus(totalsBefore);

        Console.WriteLine($"Concept mode, text prompt on a fresh {Width}x{Height} image; {rounds} measured rounds after {WarmUpRounds} warm-up rounds.");
        Console.WriteLine("| request | median ms | min ms | max ms | objects | vision encoder runs | image cache hits | text encoder runs | text cache hits | decoder runs |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, samples) in new[] { ("cold \"red\"", cold), ("warm \"green\"", warm) })
        {
            var c = samples.Select(s => s.Counters).Aggregate((a, b) => a.Plus(b));
            Console.WriteLine(
                $"| {name} | {Units.Ms(Units.Median(samples.Select(s => s.Seconds)))} | {Units.Ms(samples.Min(s => s.Seconds))} | {Units.Ms(samples.Max(s => s.Seconds))} | " +
                $"{string.Join('/', samples.Select(s => s.Objects).Distinct())} | {c.VisionEncoderRuns} | {c.ImageCacheHits} | {c.TextEncoderRuns} | {c.TextCacheHits} | {c.DecoderRuns} |");
        }
        var ratio = Units.Median(cold.Select(s => s.Seconds)) / Units.Median(warm.Select(s => s.Seconds));
        Console.WriteLine($"Ratio of medians cold/warm: {ratio:F2}");
        Console.WriteLine($"Counters over the measured rounds: vision encoder runs {totals.VisionEncoderRuns}, image cache hits {totals.ImageCacheHits}, text encoder runs {totals.TextEncoderRuns}, text cache hits {totals.TextCacheHits}, decoder runs {totals.DecoderRuns}");
        Console.WriteLine();
        Console.WriteLine("Median StageSeconds (ms):");
        Console.WriteLine($"| request | {string.Join(" | ", Stages)} | inference (model) | sum of stages |");
        Console.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---|", Stages.Length + 2))}");
        foreach (var (name, samples) in new[] { ("cold \"red\"", cold), ("warm \"green\"", warm) })
        {
            var stages = Stages.Select(stage => Units.Ms(Units.Median(samples.Select(s => s.Stages.GetValueOrDefault(stage)))));
            Console.WriteLine(
                $"| {name} | {string.Join(" | ", stages)} | {Units.Ms(Units.Median(samples.Select(s => s.Inference)))} | " +
                $"{Units.Ms(Units.Median(samples.Select(s => s.Stages.Values.Sum())))} |");
        }
    }

    private static async Task<Sample> TimeAsync(Sam3Engine engine, RgbImage image, string prompt)
    {
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = [prompt] };
        var before = Snapshot(engine.Counters);
        var start = Stopwatch.GetTimestamp();
        var result = await engine.SegmentAsync(request, image, CancellationToken.None);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Sample(seconds, result.Objects.Count, result.StageSeconds, result.InferenceSeconds, Snapshot(engine.Counters).Minus(before));
    }

    private static Counts Snapshot(EngineCounters c) =>
        new(c.VisionEncoderRuns, c.ImageCacheHits, c.TextEncoderRuns, c.TextCacheHits, c.DecoderRuns);

    private sealed record Sample(double Seconds, int Objects, IReadOnlyDictionary<string, double> Stages, double Inference, Counts Counters);

    private sealed record Counts(long VisionEncoderRuns, long ImageCacheHits, long TextEncoderRuns, long TextCacheHits, long DecoderRuns)
    {
        public Counts Minus(Counts o) => new(VisionEncoderRuns - o.VisionEncoderRuns, ImageCacheHits - o.ImageCacheHits, TextEncoderRuns - o.TextEncoderRuns, TextCacheHits - o.TextCacheHits, DecoderRuns - o.DecoderRuns);

        public Counts Plus(Counts o) => new(VisionEncoderRuns + o.VisionEncoderRuns, ImageCacheHits + o.ImageCacheHits, TextEncoderRuns + o.TextEncoderRuns, TextCacheHits + o.TextCacheHits, DecoderRuns + o.DecoderRuns);
    }
}
