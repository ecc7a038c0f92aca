using BenchmarkDotNet.Attributes;
using Sam3Serve.Engine.Postprocessing;

namespace Sam3Serve.Benchmarks.Postprocessing;

/// <summary>
/// One 288×288 logit map turned into a full-size binary mask row by row (what every renderer does per object),
/// and its exact pixel box.
/// </summary>
[MemoryDiagnoser]
public class LogitMaskBenchmarks
{
    private LogitMask _mask = null!;
    private byte[] _row = [];

    /// <summary>Original image size as "width x height".</summary>
    [Params("1800x1200", "4032x3024")]
    public string Target { get; set; } = "1800x1200";

    /// <summary>A scene of a few objects; upsampling cost does not depend on content, the box scan does.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var parts = Target.Split('x');
        var width = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        var height = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var logits = SyntheticLogits.Scene(SyntheticLogits.Side, 3, seed: 7);
        _mask = new LogitMask(logits, new ResizePlan(SyntheticLogits.Side, SyntheticLogits.Side, width, height));
        _row = new byte[width];
    }

    /// <summary>FillRow over every row into one reused row buffer; returns the positive count so nothing is elided.</summary>
    [Benchmark]
    public long FillAllRows()
    {
        long positive = 0;
        for (var y = 0; y < _mask.Height; y++)
        {
            _mask.FillRow(y, _row);
            positive += _row[_row.Length / 2];
        }
        return positive;
    }

    /// <summary>Exact mask→box (rows and columns that can see a positive cell only).</summary>
    [Benchmark]
    public float[] ComputeBox() => _mask.ComputeBox();
}
