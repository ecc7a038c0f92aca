using System.Text.Json;

namespace Sam3Serve.Client;

/// <summary>The body of <c>GET /v2/requests/{id}</c>: status, request id, metrics and, once completed, the output.</summary>
public sealed class Sam3Result
{
    /// <summary>The state; <see cref="Sam3JobState.Completed"/> when <see cref="Output"/> is set.</summary>
    public Sam3JobState State { get; init; }

    /// <summary>The <c>status</c> string as the server wrote it.</summary>
    public string RawStatus { get; init; } = "";

    /// <summary><c>request_id</c>.</summary>
    public string RequestId { get; init; } = "";

    /// <summary><c>metrics</c>: timings such as <c>inference_time</c>.</summary>
    public Sam3Metrics Metrics { get; init; } = Sam3Metrics.Empty;

    /// <summary><c>output</c>: the output object; null while the request is queued or running.</summary>
    public Sam3Output? Output { get; init; }

    /// <summary>
    /// The <c>output</c> value exactly as sent, for answers whose output is not the contract's output object
    /// (another model slug, or a bare image URL); null when the body had no <c>output</c>.
    /// </summary>
    public JsonElement? RawOutput { get; init; }

    /// <summary><c>x-remaining-credits</c>: the key's balance after this call, when the server sends it.</summary>
    public double? RemainingCredits { get; init; }
}
