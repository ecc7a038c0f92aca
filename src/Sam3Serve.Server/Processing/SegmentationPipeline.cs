using System.Diagnostics;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Imaging.Rendering;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Lifecycle;
using Sam3Serve.Server.Observability;

namespace Sam3Serve.Server.Processing;

/// <summary>What one run produced: the rendered output and the per-request metrics (seconds).</summary>
/// <param name="Rendered">The output object and its images.</param>
/// <param name="Metrics">The contract's <c>metrics</c>: inference_time plus per-stage timings.</param>
internal sealed record PipelineResult(RenderedOutput Rendered, Dictionary<string, double> Metrics)
{
    /// <summary>Seconds spent in the model.</summary>
    public double InferenceSeconds => Metrics.GetValueOrDefault(MetricNames.Inference);
}

/// <summary>The names of the metrics the pipeline reports.</summary>
internal static class MetricNames
{
    /// <summary>Model share of the time (contract).</summary>
    public const string Inference = "inference_time";
    /// <summary>Wait between acceptance and a worker taking the request.</summary>
    public const string Queue = "queue_time";
    /// <summary>Server time from acceptance to the result.</summary>
    public const string Total = "total_time";
    /// <summary>Passes of the image through the model: 1, plus one per tile (a count, not seconds).</summary>
    public const string ImagePasses = "image_passes";
}

/// <summary>A request the pipeline cannot run, for a reason the client can act on (bad image, prompt outside it, mode missing).</summary>
internal sealed class PipelineFailureException(RequestFailure failure, Exception? innerException = null)
    : Exception(failure.Message, innerException)
{
    /// <summary>The typed failure.</summary>
    public RequestFailure Failure { get; } = failure;
}

/// <summary>
/// One request from image to rendered output: fetch (URLs), decode, engine, render. Knows nothing of
/// HTTP or queues, so v1 requests and v2 workers run exactly the same code.
/// </summary>
internal sealed class SegmentationPipeline(ISegmentationEngine engine, ImageFetcher fetcher, ImageInputOptions imageOptions, ServerMetrics metrics)
{
    /// <summary>Runs <paramref name="request"/> on the image; throws <see cref="PipelineFailureException"/> for input it cannot run.</summary>
    public async Task<PipelineResult> RunAsync(SegmentationRequest request, ImageReference image, CancellationToken cancellationToken, IProgress<string>? progress = null)
    {
        var stages = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        RgbImage decoded;
        try
        {
            byte[] bytes;
            if (image is ImageReference.Url url)
            {
                progress?.Report("fetching image");
                bytes = await fetcher.FetchAsync(url.Value, cancellationToken);
                stages["fetch_time"] = Lap(clock);
            }
            else
            {
                bytes = ((ImageReference.Inline)image).Bytes;
            }
            progress?.Report("decoding image");
            decoded = ImageDecoder.Decode(bytes, imageOptions.MaxPixels);
            stages["decode_time"] = Lap(clock);
        }
        catch (ImageInputException e)
        {
            throw new PipelineFailureException(RequestFailure.Of(KindOf(e.Kind), e.Message), e);
        }

        CheckPromptsInside(request, decoded);
        SegmentationResult result;
        try
        {
            result = await engine.SegmentAsync(request, decoded, progress, cancellationToken);
        }
        catch (ModeUnavailableException e)
        {
            // The request is valid but this installation's model lacks the files for its mode (e.g. no tracker pair).
            throw new PipelineFailureException(RequestFailure.Of(FailureKind.ModeUnavailable, e.Message), e);
        }
        foreach (var (stage, seconds) in result.StageSeconds)
        {
            stages[stage + "_time"] = seconds;
        }
        clock.Restart();
        progress?.Report("rendering");
        var rendered = OutputRenderer.Render(result, decoded, request);
        stages["encode_time"] = Lap(clock);
        metrics.ObserveStages(stages);
        stages[MetricNames.Inference] = result.InferenceSeconds;
        stages[MetricNames.ImagePasses] = result.ImagePasses;
        return new PipelineResult(rendered, stages);
    }

    private static void CheckPromptsInside(SegmentationRequest request, RgbImage image)
    {
        foreach (var p in request.Points)
        {
            if (p.X > image.Width || p.Y > image.Height)
            {
                throw Outside("points_input", $"point ({p.X}, {p.Y}) lies outside the {image.Width}x{image.Height} image");
            }
        }
        foreach (var b in request.Boxes)
        {
            if (b.X1 >= image.Width || b.Y1 >= image.Height)
            {
                throw Outside("boxes_input", $"box [{b.X1}, {b.Y1}, {b.X2}, {b.Y2}] lies outside the {image.Width}x{image.Height} image");
            }
        }
    }

    private static PipelineFailureException Outside(string field, string rule) =>
        new(RequestFailure.Of(FailureKind.InvalidInput, $"{field}: {rule}", field));

    /// <summary>The failure kind of an image that cannot be used.</summary>
    public static FailureKind KindOf(ImageErrorKind kind) => kind switch
    {
        ImageErrorKind.TooLarge => FailureKind.InputTooLarge,
        ImageErrorKind.UpstreamError => FailureKind.ImageUpstream,
        ImageErrorKind.Timeout => FailureKind.ImageTimeout,
        _ => FailureKind.InvalidInput,
    };

    private static double Lap(Stopwatch clock)
    {
        var seconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return seconds;
    }
}
