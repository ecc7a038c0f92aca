using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Contracts.Inference;

/// <summary>
/// The inference boundary: the server hands over a validated request and a decoded image and gets back
/// the kept objects. Implementations are thread-safe; concurrency is the caller's business.
/// </summary>
public interface ISegmentationEngine
{
    /// <summary>True once the model is loaded and warmed up; /health/ready reports it.</summary>
    bool IsReady { get; }

    /// <summary>Loads and warms the model; called once at startup before requests are taken.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Runs one request. Throws <see cref="OperationCanceledException"/> when cancelled.</summary>
    ValueTask<SegmentationResult> SegmentAsync(SegmentationRequest request, RgbImage image, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one request and reports each engine stage as it starts ("image encoder", "text encoder", "decoder",
    /// "postprocessing") to <paramref name="progress"/>. Engines without stages answer as the plain overload does.
    /// </summary>
    ValueTask<SegmentationResult> SegmentAsync(SegmentationRequest request, RgbImage image, IProgress<string>? progress, CancellationToken cancellationToken) =>
        SegmentAsync(request, image, cancellationToken);
}
