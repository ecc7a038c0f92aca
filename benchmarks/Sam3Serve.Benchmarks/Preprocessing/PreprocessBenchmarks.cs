using BenchmarkDotNet.Attributes;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine.Preprocessing;

namespace Sam3Serve.Benchmarks.Preprocessing;

/// <summary>Resize + normalise of a photo-sized RGB image to the 1008×1008 vision-encoder input.</summary>
[MemoryDiagnoser]
public class PreprocessBenchmarks
{
    private const int Target = 1008;
    private readonly float[] _destination = new float[3 * Target * Target];
    private RgbImage _image = null!;

    /// <summary>Source size as "width x height".</summary>
    [Params("1800x1200", "4032x3024")]
    public string Source { get; set; } = "1800x1200";

    /// <summary>Vector loops (default) or the scalar fallback, for comparison on the same machine.</summary>
    [Params(true, false)]
    public bool Simd { get; set; } = true;

    /// <summary>Builds a noise image of the source size (resampling cost does not depend on content).</summary>
    [GlobalSetup]
    public void Setup()
    {
        AppContext.SetSwitch(ImagePreprocessor.DisableSimdSwitch, !Simd);
        var parts = Source.Split('x');
        var width = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        var height = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var pixels = new byte[width * height * 3];
        new Random(42).NextBytes(pixels);
        _image = new RgbImage(width, height, pixels);
    }

    /// <summary>ImagePreprocessor.ToNchw to 1008×1008.</summary>
    [Benchmark]
    public void ToNchw() => ImagePreprocessor.ToNchw(_image, Target, Target, _destination);
}
