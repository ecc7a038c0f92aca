using BenchmarkDotNet.Attributes;
using Sam3Serve.Benchmarks.Postprocessing;
using Sam3Serve.Engine.Postprocessing;
using Sam3Serve.Imaging.Rendering;

namespace Sam3Serve.Benchmarks.Rendering;

/// <summary>COCO compressed RLE of one 4032×3024 mask (three objects upsampled from 288×288 logits).</summary>
[MemoryDiagnoser]
public class CocoRleBenchmarks
{
    private const int Width = 4032;
    private const int Height = 3024;
    private byte[] _mask = [];

    /// <summary>Materialises the mask once; only the encoding is timed.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var source = new LogitMask(SyntheticLogits.Scene(SyntheticLogits.Side, 3, seed: 7), new ResizePlan(SyntheticLogits.Side, SyntheticLogits.Side, Width, Height));
        _mask = new byte[Width * Height];
        for (var y = 0; y < Height; y++)
        {
            source.FillRow(y, _mask.AsSpan(y * Width, Width));
        }
        Console.WriteLine($"// mask area {_mask.AsSpan().Count((byte)1)}, counts length {CocoRle.Encode(_mask, Width, Height).Length}");
    }

    /// <summary>CocoRle.Encode of the whole mask.</summary>
    [Benchmark]
    public string Encode() => CocoRle.Encode(_mask, Width, Height);
}
