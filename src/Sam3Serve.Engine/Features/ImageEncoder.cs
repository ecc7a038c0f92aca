using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Preprocessing;

namespace Sam3Serve.Engine.Features;

/// <summary>
/// One image-input graph (a whole vision encoder, or the shared trunk) behind the image-feature cache: stretch +
/// normalise into the input size the file declares, run, keep the outputs (on the GPU when the provider is one).
/// </summary>
internal sealed class ImageEncoder : IImageFeatureSource
{
    /// <summary>Input side used when the file's spatial dimensions are dynamic.</summary>
    public const int DefaultInputSize = 1008;

    private readonly OnnxModel _model;
    private readonly ByteLruCache<string> _cache;
    private readonly string _keyPrefix;
    private readonly Action _onRun;
    private readonly Action _onHit;
    private readonly SingleFlight _flights = new();
    private readonly string[]? _outputs;

    /// <param name="consumed">Names the decoders read; other outputs (the unused levels of the old 8-output usls
    /// export) are neither fetched nor cached. Null keeps every output.</param>
    public ImageEncoder(OnnxModel model, ByteLruCache<string> cache, string keyPrefix, Action onRun, Action onHit, IReadOnlySet<string>? consumed = null)
    {
        _model = model;
        _outputs = model.SelectOutputs(consumed);
        _cache = cache;
        _keyPrefix = keyPrefix;
        _onRun = onRun;
        _onHit = onHit;
        if (model.Inputs.Count != 1 || model.Inputs[0].Rank != 4)
        {
            throw new InvalidOperationException($"{Path.GetFileName(model.FilePath)}: expected one NCHW image input, found {string.Join(", ", model.Inputs)}");
        }
        var input = model.Inputs[0];
        InputHeight = input.IsStatic(2) ? (int)input.Dim(2) : DefaultInputSize;
        InputWidth = input.IsStatic(3) ? (int)input.Dim(3) : DefaultInputSize;
    }

    /// <inheritdoc />
    public int InputWidth { get; }

    /// <inheritdoc />
    public int InputHeight { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorSpec> Outputs => _model.Outputs;

    /// <summary>The session.</summary>
    public OnnxModel Model => _model;

    /// <inheritdoc />
    public FeatureSet Encode(RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        return _flights.GetOrCompute(_cache, _keyPrefix + imageKey, _onHit, () => Run(image, clock, cancellationToken), cancellationToken);
    }

    private FeatureSet Run(RgbImage image, StageClock clock, CancellationToken cancellationToken)
    {
        var count = 3 * InputWidth * InputHeight;
        var buffer = ArrayPool<float>.Shared.Rent(count);
        try
        {
            clock.Measure(StageClock.Preprocess, () => ImagePreprocessor.ToNchw(image, InputWidth, InputHeight, buffer.AsSpan(0, count)));
            using var pixels = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, count), [1, 3, InputHeight, InputWidth]);
            var inputs = new Dictionary<string, ModelInput> { [_model.Inputs[0].Name] = ModelInput.FromValue(pixels) };
            using var outputs = clock.Measure(StageClock.Encoder, () => _model.Run(inputs, _outputs, keepOnDevice: true, cancellationToken: cancellationToken));
            _onRun();
            return new FeatureSet(outputs.Names.ToArray().ToDictionary(n => n, outputs.Take, StringComparer.Ordinal));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
