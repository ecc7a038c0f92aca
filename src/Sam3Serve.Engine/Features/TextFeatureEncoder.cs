using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Text;

namespace Sam3Serve.Engine.Features;

/// <summary>The text encoder behind the text-feature cache, keyed by the prompt's token ids.</summary>
internal sealed class TextFeatureEncoder
{
    private readonly OnnxModel _model;
    private readonly ClipTokenizer _tokenizer;
    private readonly ByteLruCache<string> _cache;
    private readonly EngineCounters _counters;
    private readonly string _idsInput;
    private readonly string _maskInput;
    private readonly bool _keepOnDevice;

    public TextFeatureEncoder(OnnxModel model, ClipTokenizer tokenizer, ByteLruCache<string> cache, EngineCounters counters, bool keepOnDevice)
    {
        _model = model;
        _tokenizer = tokenizer;
        _cache = cache;
        _counters = counters;
        _keepOnDevice = keepOnDevice;
        _idsInput = model.Inputs.FirstOrDefault(i => i.Name.Contains("ids", StringComparison.OrdinalIgnoreCase))?.Name ?? model.Inputs[0].Name;
        _maskInput = model.Inputs.FirstOrDefault(i => i.Name.Contains("mask", StringComparison.OrdinalIgnoreCase))?.Name
            ?? throw new InvalidOperationException($"{Path.GetFileName(model.FilePath)} has no attention-mask input ({string.Join(", ", model.Inputs)})");
        var length = model.Input(_idsInput).Dim(1);
        if (length > 0 && length != ClipTokenizer.ContextLength)
        {
            throw new InvalidOperationException($"{Path.GetFileName(model.FilePath)} takes {length} tokens; the tokenizer produces {ClipTokenizer.ContextLength}");
        }
    }

    /// <summary>Returns the text features of <paramref name="prompt"/> with a reference the caller must release.</summary>
    public FeatureSet Encode(string prompt, StageClock clock, CancellationToken cancellationToken)
    {
        var tokens = _tokenizer.Encode(prompt);
        var key = string.Join(',', tokens.InputIds);
        if (_cache.TryGet(key, out var cached))
        {
            _counters.TextCacheHit();
            return cached!;
        }
        var inputs = new Dictionary<string, ModelInput>
        {
            [_idsInput] = ModelInput.FromLongs(tokens.InputIds, 1, tokens.InputIds.Length),
            [_maskInput] = ModelInput.FromLongs(tokens.AttentionMask, 1, tokens.AttentionMask.Length),
        };
        using var outputs = clock.Measure(StageClock.Text, () => _model.Run(inputs, keepOnDevice: _keepOnDevice, cancellationToken: cancellationToken));
        _counters.TextEncoderRan();
        var features = new FeatureSet(outputs.Names.ToArray().ToDictionary(n => n, outputs.Take, StringComparer.Ordinal));
        _cache.Add(key, features);
        return features;
    }
}
