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

    /// <summary>
    /// Warms the decoders and the text encoder during <see cref="Sam3Engine.InitializeAsync"/> (on zero features of the
    /// declared shapes). The vision encoders are not warmed: on a CPU one pass costs about a minute, so the first
    /// request measures them.
    /// </summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>
    /// At start, runs every decoder twice on each prompt form the engine sends (synthetic features) and refuses to
    /// serve when the two runs differ: a graph that reads memory no input filled would answer the same request
    /// differently each time. The first of each pair is the warm-up run.
    /// </summary>
    public bool SelfCheck { get; set; } = true;

    /// <summary>
    /// Gives freed model memory back to the system after every run (no ONNX Runtime CPU arena, glibc tuned and
    /// trimmed; see <c>NativeHeap</c>). Off keeps the arenas: slightly faster small runs, but each session then holds
    /// its peak for good.
    /// </summary>
    public bool ReleaseMemoryAfterRuns { get; set; } = true;

    /// <summary>Model runs executing at once in this engine (all workers together); 0 picks 1.</summary>
    public int ConcurrentRuns { get; set; }

    /// <summary>
    /// Runs the ViT trunk once per image for both paths when the detector and tracker encoders share it (checked on
    /// the weights at load). Off loads the two encoder files as they are.
    /// </summary>
    public bool ShareTrunk { get; set; } = true;

    /// <summary>Most objects in one tracker decoder run (object boxes, automatic grid points); 0 picks the default.</summary>
    public int DecoderObjectBatch { get; set; }
}
