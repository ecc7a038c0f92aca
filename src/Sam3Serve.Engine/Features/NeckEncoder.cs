using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Onnx.TrunkSharing;

namespace Sam3Serve.Engine.Features;

/// <summary>
/// One path's features when the two vision encoders share their trunk: the trunk's outputs (computed once per image
/// and cached for both paths) fed through this path's neck, whose outputs are cached under the path's own prefix.
/// </summary>
internal sealed class NeckEncoder : IImageFeatureSource
{
    private readonly ImageEncoder _trunk;
    private readonly OnnxModel _neck;
    private readonly IReadOnlyList<NeckInput> _inputs;
    private readonly ByteLruCache<string> _cache;
    private readonly string _keyPrefix;
    private readonly Action _onRun;
    private readonly Action _onHit;
    private readonly SingleFlight _flights = new();
    private readonly string[]? _outputs;

    /// <param name="consumed">Names the decoders read (others are not fetched); null keeps every output.</param>
    public NeckEncoder(ImageEncoder trunk, OnnxModel neck, IReadOnlyList<NeckInput> inputs, ByteLruCache<string> cache, string keyPrefix, Action onRun, Action onHit, IReadOnlySet<string>? consumed = null)
    {
        _outputs = neck.SelectOutputs(consumed);
        _trunk = trunk;
        _neck = neck;
        _inputs = inputs;
        _cache = cache;
        _keyPrefix = keyPrefix;
        _onRun = onRun;
        _onHit = onHit;
    }

    /// <inheritdoc />
    public int InputWidth => _trunk.InputWidth;

    /// <inheritdoc />
    public int InputHeight => _trunk.InputHeight;

    /// <inheritdoc />
    public IReadOnlyList<TensorSpec> Outputs => _neck.Outputs;

    /// <summary>The neck's session.</summary>
    public OnnxModel Model => _neck;

    /// <inheritdoc />
    public FeatureSet Encode(RgbImage image, string imageKey, StageClock clock, CancellationToken cancellationToken)
    {
        return _flights.GetOrCompute(_cache, _keyPrefix + imageKey, _onHit, () =>
        {
            var trunk = _trunk.Encode(image, imageKey, clock, cancellationToken);
            try
            {
                var inputs = _inputs.ToDictionary(i => i.NeckInputName, i => ModelInput.FromValue(trunk[i.TrunkOutput]), StringComparer.Ordinal);
                using var outputs = clock.Measure(StageClock.Neck, () => _neck.Run(inputs, _outputs, keepOnDevice: true, cancellationToken: cancellationToken));
                _onRun();
                return new FeatureSet(outputs.Names.ToArray().ToDictionary(n => n, outputs.Take, StringComparer.Ordinal));
            }
            finally
            {
                trunk.Release();
            }
        }, cancellationToken);
    }
}
