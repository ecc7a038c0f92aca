using BenchmarkDotNet.Attributes;
using Sam3Serve.Benchmarks.Postprocessing;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Postprocessing;
using Sam3Serve.Imaging.Rendering;

namespace Sam3Serve.Benchmarks.Rendering;

/// <summary>
/// OutputRenderer.Render for 10 engine masks (LogitMask over 288×288 logits, as the engine returns them) on an
/// 1800×1200 image: preview PNG plus one COCO RLE per mask. Includes every FillRow upsampling.
/// </summary>
[MemoryDiagnoser]
public class RenderBenchmarks
{
    private const int Width = 1800;
    private const int Height = 1200;
    private const int Masks = 10;
    private SegmentationResult _result = null!;
    private RgbImage _image = null!;
    private SegmentationRequest _request = null!;

    /// <summary>Per-mask output encoding.</summary>
    [Params(MaskFormat.Rle)]
    public MaskFormat Format { get; set; } = MaskFormat.Rle;

    /// <summary>Ten masks of one to three objects each, a noise image (only the overlay would read it).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var plan = new ResizePlan(SyntheticLogits.Side, SyntheticLogits.Side, Width, Height);
        var objects = new List<DetectedObject>();
        for (var i = 0; i < Masks; i++)
        {
            var mask = new LogitMask(SyntheticLogits.Scene(SyntheticLogits.Side, 1 + (i % 3), seed: 100 + i), plan);
            objects.Add(new DetectedObject { Score = 0.9f - (0.01f * i), Box = mask.ComputeBox(), Mask = mask });
        }
        _result = new SegmentationResult { Objects = objects };
        var pixels = new byte[Width * Height * 3];
        new Random(3).NextBytes(pixels);
        _image = new RgbImage(Width, Height, pixels);
        _request = new SegmentationRequest
        {
            Mode = SegmentationMode.Automatic,
            Output = new OutputOptions { ReturnPreview = true, ReturnMasks = true, MaskFormat = Format },
        };
    }

    /// <summary>The full render.</summary>
    [Benchmark]
    public RenderedOutput Render() => OutputRenderer.Render(_result, _image, _request);
}
