using System.Globalization;
using Sam3Serve.Engine;
using Sam3Serve.Fixture;

namespace Sam3Serve.MemoryProbe;

/// <summary>
/// Measures on the fixture bundle (written to a temp folder): <c>memory</c> (default) the peak memory of a
/// 100-mask RLE request on a 4032×3024 image; <c>cache</c> the second-prompt speed-up of the feature cache;
/// <c>automatic</c> how many masks automatic mode finds on the memory probe's image; <c>render</c> the memory of the
/// render alone with 100 masks over real-size (288×288) logits. Usage: <c>[memory|cache|automatic|render] [--runs N]</c>.
/// </summary>
public static class Program
{
    /// <summary>Runs the chosen probe and prints markdown tables.</summary>
    public static async Task<int> Main(string[] args)
    {
        var runsAt = Array.IndexOf(args, "--runs");
        var mode = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (runsAt < 0 || i != runsAt + 1)).FirstOrDefault() ?? "memory";
        var runs = runsAt >= 0 && runsAt + 1 < args.Length ? int.Parse(args[runsAt + 1], CultureInfo.InvariantCulture) : mode == "cache" ? 30 : 5;
        if (mode is not ("memory" or "cache" or "automatic" or "render"))
        {
            Console.Error.WriteLine("usage: [memory|cache|automatic|render] [--runs N]");
            return 2;
        }

        var dir = Path.Combine(Path.GetTempPath(), $"sam3serve-probe-{Guid.NewGuid():N}");
        try
        {
            FixtureBundle.Write(dir);
            using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir });
            await engine.InitializeAsync(CancellationToken.None);
            Console.WriteLine($"{Environment.ProcessorCount} logical CPUs; load average at start {ProcStatus.LoadAverage()}; bundle {dir}");
            if (mode == "memory")
            {
                await MemoryProbeRun.RunAsync(engine, runs);
            }
            else if (mode == "cache")
            {
                await CacheProbeRun.RunAsync(engine, runs);
            }
            else if (mode == "render")
            {
                await MemoryProbeRun.RunRenderOnlyAsync(runs);
            }
            else
            {
                await MemoryProbeRun.CheckAutomaticAsync(engine);
            }
            Console.WriteLine($"load average at end {ProcStatus.LoadAverage()}");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
