using System.Diagnostics;
using System.Runtime;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine;
using Sam3Serve.Engine.Postprocessing;
using Sam3Serve.Imaging.Rendering;

namespace Sam3Serve.MemoryProbe;

/// <summary>
/// Peak memory of one interactive request with 100 boxes on a 4032×3024 image, masks returned as COCO RLE plus the
/// preview: engine.SegmentAsync then OutputRenderer.Render, as the server runs them.
/// </summary>
internal static class MemoryProbeRun
{
    private const int Width = 4032;
    private const int Height = 3024;
    private const int Cells = 10;
    private const int Margin = 20;

    public static async Task RunAsync(Sam3Engine engine, int runs)
    {
        var request = Request();
        PrintHeader($"Engine (fixture) + render: interactive, box_mode object, {request.Boxes.Count} boxes, {Width}x{Height}, return_masks + RLE + preview; a fresh image each run (cold feature cache).");
        for (var run = 1; run <= runs; run++)
        {
            Console.WriteLine(await MeasureOnceAsync(image => engine.SegmentAsync(request, image, CancellationToken.None).AsTask(), request, run));
        }
    }

    /// <summary>
    /// The same request's render with masks kept at the real model's 288×288 logit size (the fixture's are 126×126):
    /// 100 single-object LogitMasks with exact boxes, no engine. Bounds what the real logits add after the models ran.
    /// </summary>
    public static async Task RunRenderOnlyAsync(int runs)
    {
        var request = Request();
        PrintHeader($"Render only: {request.Boxes.Count} LogitMasks over 288x288 logits (one ellipse each), {Width}x{Height}, return_masks + RLE + preview.");
        for (var run = 1; run <= runs; run++)
        {
            Console.WriteLine(await MeasureOnceAsync(image => Task.FromResult(RealSizeMasks(image, request.Boxes.Count, seed: run)), request, run));
        }
    }

    private static SegmentationRequest Request() => new()
    {
        Mode = SegmentationMode.Interactive,
        BoxMode = BoxMode.Object,
        Boxes = ProbeImages.Rectangles(Width, Height, Cells, Margin).Select(r => r.Box).ToList(),
        Output = new OutputOptions { ReturnMasks = true, MaskFormat = MaskFormat.Rle, ReturnPreview = true },
    };

    private static void PrintHeader(string title)
    {
        Console.WriteLine($"GC: server={GCSettings.IsServerGC}, latency={GCSettings.LatencyMode}; VmHWM reset via clear_refs: {ProcStatus.TryResetPeak()}");
        Console.WriteLine(title);
        Console.WriteLine("| run | masks | baseline RSS MiB | peak RSS (VmHWM) MiB | growth MiB | sampler peak WS MiB | sampler peak managed MiB | baseline managed MiB | allocated MiB | RLE chars | PNG KiB | engine s | postprocess s | render s | samples |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    }

    private static SegmentationResult RealSizeMasks(RgbImage image, int count, int seed)
    {
        const int side = 288;
        var random = new Random(seed);
        var plan = new ResizePlan(side, side, image.Width, image.Height);
        var objects = new List<DetectedObject>(count);
        for (var i = 0; i < count; i++)
        {
            float cx = random.Next(side), cy = random.Next(side), rx = 5 + random.Next(40), ry = 5 + random.Next(40);
            var logits = new float[side * side];
            for (var y = 0; y < side; y++)
            {
                for (var x = 0; x < side; x++)
                {
                    var dx = (x + 0.5f - cx) / rx;
                    var dy = (y + 0.5f - cy) / ry;
                    logits[(y * side) + x] = Math.Max(-20f, 40f * (1f - MathF.Sqrt((dx * dx) + (dy * dy))));
                }
            }
            var mask = new LogitMask(logits, plan);
            objects.Add(new DetectedObject { Score = 0.9f, Box = mask.ComputeBox(), Mask = mask });
        }
        return new SegmentationResult { Objects = objects };
    }

    /// <summary>Whether automatic mode could give 100 masks on this image (the fixture merges same-coloured regions).</summary>
    public static async Task CheckAutomaticAsync(Sam3Engine engine)
    {
        var image = ProbeImages.Grid(Width, Height, Cells, Margin, variant: 0);
        foreach (var pointsPerSide in new[] { 32, 64 })
        {
            var request = new SegmentationRequest { Mode = SegmentationMode.Automatic, PointsPerSide = pointsPerSide, MaxMasks = 100 };
            var result = await engine.SegmentAsync(request, image, CancellationToken.None);
            Console.WriteLine(
                $"Automatic: points_per_side {pointsPerSide}, max_masks 100 on the {Cells}x{Cells} grid -> {result.Objects.Count} masks; " +
                $"boxes {string.Join(" ", result.Objects.Select(o => $"[{string.Join(",", o.Box)}]"))}");
        }
    }

    // A method of its own so nothing from an earlier run stays reachable through the caller's async state.
    private static async Task<string> MeasureOnceAsync(Func<RgbImage, Task<SegmentationResult>> segment, SegmentationRequest request, int run)
    {
        // The decoded image exists before the engine sees the request, so it belongs to the baseline.
        var image = ProbeImages.Grid(Width, Height, Cells, Margin, variant: run);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var baselineManaged = GC.GetTotalMemory(true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(true);
        // Reset first: VmHWM restarts at the RSS of this moment, which is the baseline the growth is taken from.
        var peakResettable = ProcStatus.TryResetPeak();
        var baselineRss = ProcStatus.ResidentBytes();

        int masks;
        long rleChars, pngBytes;
        double engineSeconds, renderSeconds, postprocessSeconds;
        PeakSampler sampler;
        using (sampler = new PeakSampler())
        {
            var start = Stopwatch.GetTimestamp();
            var result = await segment(image);
            engineSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            postprocessSeconds = result.StageSeconds.GetValueOrDefault("postprocess");
            start = Stopwatch.GetTimestamp();
            var rendered = OutputRenderer.Render(result, image, request);
            renderSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            masks = rendered.Output.Masks.Count;
            rleChars = rendered.Output.Masks.Sum(m => (long)(m.Mask?["counts"]?.GetValue<string>().Length ?? 0));
            pngBytes = rendered.Media.Sum(m => (long)m.Content.Length);
            // The response is still alive while the server serialises it: keep it reachable until measured.
            GC.KeepAlive(rendered);
        }
        var hwmAfter = ProcStatus.PeakResidentBytes();
        var allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
        var peak = peakResettable ? Math.Max(hwmAfter, sampler.PeakWorkingSet) : sampler.PeakWorkingSet;
        GC.KeepAlive(image);
        return
            $"| {run} | {masks} | {Units.MiB(baselineRss)} | {Units.MiB(hwmAfter)} | {Units.MiB(peak - baselineRss)} | {Units.MiB(sampler.PeakWorkingSet)} | " +
            $"{Units.MiB(sampler.PeakManagedHeap)} | {Units.MiB(baselineManaged)} | {Units.MiB(allocated)} | {rleChars} | {pngBytes / 1024} | " +
            $"{engineSeconds:F2} | {postprocessSeconds:F2} | {renderSeconds:F2} | {sampler.Samples} |";
    }
}
