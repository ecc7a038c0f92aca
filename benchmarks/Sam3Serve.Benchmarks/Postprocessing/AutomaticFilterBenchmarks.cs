using BenchmarkDotNet.Attributes;
using Sam3Serve.Engine.Postprocessing;

namespace Sam3Serve.Benchmarks.Postprocessing;

/// <summary>
/// The automatic path's post-processing over a 32×32 grid (1024 points × 3 candidates = 3072 masks of 288×288),
/// rebuilt from the public pieces the engine's AutomaticRunner uses, in its order: per decoder batch of 64 points
/// the stability filter (≥ 0.95, offset 1) and the low-resolution approximate box, an intermediate box NMS once
/// more than 512 candidates are pending, a final NMS at 0.7, then exact pixel boxes of the survivors.
/// Every candidate gets a predicted IoU above 0.88, so all 3072 reach the stability test (the worst case).
/// </summary>
[MemoryDiagnoser]
public class AutomaticFilterBenchmarks
{
    private const int GridSide = 32;
    private const int CandidatesPerPoint = 3;
    private const int PointsPerBatch = 64;
    private const int PruneAbove = 512;
    private const float StabilityThreshold = 0.95f;
    private const float NmsThreshold = 0.7f;
    private const int ImageWidth = 1800;
    private const int ImageHeight = 1200;

    private float[][] _logits = [];
    private float[] _iou = [];
    private ResizePlan _plan = null!;
    private readonly List<float[]> _stableBoxes = [];
    private readonly List<float> _stableScores = [];

    /// <summary>Builds 3072 candidate maps: for each grid point, its nearest object whole, a part and a sub-part.</summary>
    [GlobalSetup]
    public void Setup()
    {
        const int side = SyntheticLogits.Side;
        var random = new Random(11);
        var objects = new (float Cx, float Cy, float Rx, float Ry)[48];
        for (var k = 0; k < objects.Length; k++)
        {
            objects[k] = (random.NextSingle() * side, random.NextSingle() * side,
                side * (0.03f + (0.15f * random.NextSingle())), side * (0.03f + (0.15f * random.NextSingle())));
        }
        float[] scales = [1f, 0.6f, 0.3f];
        _logits = new float[GridSide * GridSide * CandidatesPerPoint][];
        _iou = new float[_logits.Length];
        var grid = AutomaticGrid.Points(GridSide);
        for (var p = 0; p < grid.Length; p++)
        {
            var px = grid[p].X * side;
            var py = grid[p].Y * side;
            var o = objects.MinBy(b => MathF.Pow((px - b.Cx) / b.Rx, 2) + MathF.Pow((py - b.Cy) / b.Ry, 2));
            for (var k = 0; k < CandidatesPerPoint; k++)
            {
                var scale = scales[k] * (0.9f + (0.2f * random.NextSingle()));
                var shift = (1f - scale) * 0.5f;
                // Slopes below ~78 fail the 0.95 stability test at offset 1, so about three quarters pass.
                var slope = 10f + (290f * random.NextSingle());
                _logits[(p * CandidatesPerPoint) + k] = SyntheticLogits.Ellipse(
                    side, o.Cx + ((px - o.Cx) * shift), o.Cy + ((py - o.Cy) * shift), o.Rx * scale, o.Ry * scale, slope);
                _iou[(p * CandidatesPerPoint) + k] = 0.881f + (0.118f * random.NextSingle());
            }
        }
        _plan = new ResizePlan(side, side, ImageWidth, ImageHeight);
        foreach (var i in Enumerable.Range(0, _logits.Length))
        {
            if (StabilityScore.Compute(_logits[i]) >= StabilityThreshold && new LogitMask(_logits[i], _plan).ApproximateBox() is { } box)
            {
                _stableBoxes.Add(box);
                _stableScores.Add(_iou[i]);
            }
        }
        Console.WriteLine(
            $"// candidates {_logits.Length}, stable {_stableBoxes.Count}, kept by one final NMS {BoxNms.Apply(_stableBoxes, _stableScores, NmsThreshold).Count}, kept by the batched path {FilterAndSuppress()}");
    }

    /// <summary>Stability score of all 3072 maps.</summary>
    [Benchmark]
    public int StabilityAll()
    {
        var stable = 0;
        foreach (var logits in _logits)
        {
            if (StabilityScore.Compute(logits) >= StabilityThreshold)
            {
                stable++;
            }
        }
        return stable;
    }

    /// <summary>One box NMS over every stable candidate's approximate box (no intermediate pruning).</summary>
    [Benchmark]
    public int NmsOnce() => BoxNms.Apply(_stableBoxes, _stableScores, NmsThreshold).Count;

    /// <summary>The whole batched path as AutomaticRunner runs it, with exact boxes of the survivors at 1800×1200.</summary>
    [Benchmark]
    public int FilterAndSuppress()
    {
        var pending = new List<(LogitMask Mask, float Iou, float[] Box)>();
        var batch = PointsPerBatch * CandidatesPerPoint;
        for (var start = 0; start < _logits.Length; start += batch)
        {
            for (var i = start; i < Math.Min(start + batch, _logits.Length); i++)
            {
                if (StabilityScore.Compute(_logits[i]) < StabilityThreshold)
                {
                    continue;
                }
                var mask = new LogitMask(_logits[i], _plan);
                if (mask.ApproximateBox() is { } box)
                {
                    pending.Add((mask, _iou[i], box));
                }
            }
            if (pending.Count > PruneAbove)
            {
                pending = Suppress(pending);
            }
        }
        var kept = Suppress(pending);
        var boxes = 0;
        foreach (var candidate in kept)
        {
            boxes += candidate.Mask.ComputeBox()[2] > 0 ? 1 : 0;
        }
        return boxes;
    }

    private static List<(LogitMask Mask, float Iou, float[] Box)> Suppress(List<(LogitMask Mask, float Iou, float[] Box)> candidates)
    {
        var kept = BoxNms.Apply(candidates.Select(c => c.Box).ToList(), candidates.Select(c => c.Iou).ToList(), NmsThreshold);
        return kept.Select(i => candidates[i]).ToList();
    }
}
