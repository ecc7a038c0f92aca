namespace Sam3Serve.Client;

/// <summary>The <c>metrics</c> object of a v2 request: seconds per stage, by name.</summary>
public sealed class Sam3Metrics
{
    /// <summary>Metrics of a request that has not run yet.</summary>
    public static Sam3Metrics Empty { get; } = new();

    /// <summary>Every numeric metric the server sent, by its wire name (e.g. <c>inference_time</c>).</summary>
    public IReadOnlyDictionary<string, double> Values { get; init; } = new Dictionary<string, double>();

    /// <summary><c>inference_time</c>: seconds spent in the model; null until the request ran.</summary>
    public double? InferenceTime => Get("inference_time");

    /// <summary><c>queue_time</c>: seconds spent waiting for a worker, when the server reports it.</summary>
    public double? QueueTime => Get("queue_time");

    /// <summary><c>total_time</c>: seconds from submit to completion, when the server reports it.</summary>
    public double? TotalTime => Get("total_time");

    /// <summary><c>image_passes</c> (Sam3Serve extension): passes of the image through the model, 1 plus one per tile.</summary>
    public int? ImagePasses => Get("image_passes") is { } v ? (int)v : null;

    private double? Get(string name) => Values.TryGetValue(name, out var v) ? v : null;
}
