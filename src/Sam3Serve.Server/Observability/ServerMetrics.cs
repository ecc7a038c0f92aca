using Prometheus;

namespace Sam3Serve.Server.Observability;

/// <summary>
/// The Prometheus series the service exports at /metrics, in a registry of its own so that several
/// hosts in one process (tests) do not share counters.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly double[] SecondsBuckets = Histogram.ExponentialBuckets(0.001, 2, 18);

    /// <summary>The registry /metrics exports.</summary>
    public CollectorRegistry Registry { get; }

    private readonly IMetricFactory _factory;

    /// <summary>Creates the series in a new registry.</summary>
    public ServerMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        _factory = Metrics.WithCustomRegistry(Registry);
        Requests = _factory.CreateCounter(
            "sam3serve_requests_total", "HTTP requests answered, by endpoint and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "code"] });
        RequestSeconds = _factory.CreateHistogram(
            "sam3serve_request_duration_seconds", "Server time per HTTP request, by endpoint.",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = SecondsBuckets });
        StageSeconds = _factory.CreateHistogram(
            "sam3serve_stage_duration_seconds", "Time per processing stage of a segmentation request.",
            new HistogramConfiguration { LabelNames = ["stage"], Buckets = SecondsBuckets });
        QueueDepth = _factory.CreateGauge(
            "sam3serve_queue_depth", "Accepted requests not yet finished (v2 pending + v1 waiting or running).");
        Jobs = _factory.CreateCounter(
            "sam3serve_jobs_total", "Finished segmentation requests, by API version and outcome.",
            new CounterConfiguration { LabelNames = ["api", "outcome"] });
        WebhookAttempts = _factory.CreateCounter(
            "sam3serve_webhook_attempts_total", "Webhook delivery attempts, by result (delivered, retried, given_up).",
            new CounterConfiguration { LabelNames = ["result"] });
    }

    /// <summary>Requests by endpoint and status code.</summary>
    public Counter Requests { get; }

    /// <summary>Whole-request latency by endpoint.</summary>
    public Histogram RequestSeconds { get; }

    /// <summary>Time per processing stage (fetch, decode, engine stages, encode, queue).</summary>
    public Histogram StageSeconds { get; }

    /// <summary>Requests accepted and not finished (v2 pending plus v1 waiting).</summary>
    public Gauge QueueDepth { get; }

    /// <summary>Finished segmentation requests by outcome.</summary>
    public Counter Jobs { get; }

    /// <summary>Webhook delivery attempts by result.</summary>
    public Counter WebhookAttempts { get; }

    /// <summary>Records every stage of a metrics dictionary (seconds).</summary>
    public void ObserveStages(IReadOnlyDictionary<string, double> stageSeconds)
    {
        foreach (var (stage, seconds) in stageSeconds)
        {
            StageSeconds.WithLabels(stage).Observe(seconds);
        }
    }
}
