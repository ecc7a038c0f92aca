namespace Sam3Serve.Engine;

/// <summary>How the engine finds its model files and runs them.</summary>
public sealed class EngineOptions
{
    /// <summary>The model bundle folder (ONNX files, vocabulary, manifest).</summary>
    public string ModelDir { get; set; } = "models/sam3";

    /// <summary>Precision variant of the concept and tracker files ("fp32", "q8", "fp16", ...); null picks the first complete one found.</summary>
    public string? Variant { get; set; }

    /// <summary>"cpu", "cuda" or "tensorrt".</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>GPU ordinal for cuda/tensorrt.</summary>
    public int DeviceId { get; set; }

    /// <summary>Threads inside one operator; 0 lets ONNX Runtime decide.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads across operators; 0 lets ONNX Runtime decide.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>"disable", "basic", "extended" or "all".</summary>
    public string GraphOptimizationLevel { get; set; } = "all";

    /// <summary>Upper bound of the image-feature cache, in bytes of encoder outputs.</summary>
    public long ImageCacheBytes { get; set; } = 1L << 30;

    /// <summary>Upper bound of the text-feature cache, in bytes.</summary>
    public long TextCacheBytes { get; set; } = 64L << 20;

    /// <summary>Runs every session once on a blank input during <see cref="Sam3Engine.InitializeAsync"/>.</summary>
    public bool WarmUp { get; set; } = true;
}
