namespace Sam3Serve.Client;

/// <summary>Where a v2 request stands.</summary>
public enum Sam3JobState
{
    /// <summary>A status this SDK does not know; see <see cref="Sam3JobStatus.RawStatus"/>.</summary>
    Unknown,
    /// <summary><c>QUEUED</c>: accepted, waiting for a worker.</summary>
    Queued,
    /// <summary><c>PROCESSING</c>: a worker is running it.</summary>
    Processing,
    /// <summary><c>COMPLETED</c>: the output is ready.</summary>
    Completed,
    /// <summary><c>FAILED</c>: it ended with an error; see <see cref="Sam3JobStatus.Error"/>.</summary>
    Failed,
}

/// <summary>The body of <c>GET /v2/requests/{id}/status</c>.</summary>
public sealed class Sam3JobStatus
{
    /// <summary>The state, parsed from <see cref="RawStatus"/>.</summary>
    public Sam3JobState State { get; init; }

    /// <summary>The <c>status</c> string as the server wrote it.</summary>
    public string RawStatus { get; init; } = "";

    /// <summary><c>request_id</c>.</summary>
    public string RequestId { get; init; } = "";

    /// <summary><c>error</c>: why the request failed; null unless <see cref="State"/> is <see cref="Sam3JobState.Failed"/>.</summary>
    public string? Error { get; init; }

    /// <summary><c>metrics</c>: timings; empty until the request has run.</summary>
    public Sam3Metrics Metrics { get; init; } = Sam3Metrics.Empty;

    internal string RawBody { get; init; } = "";

    /// <summary>True for <see cref="Sam3JobState.Completed"/> and <see cref="Sam3JobState.Failed"/>.</summary>
    public bool IsTerminal => State is Sam3JobState.Completed or Sam3JobState.Failed;

    internal static Sam3JobState ParseState(string? status) => status?.ToUpperInvariant() switch
    {
        "QUEUED" => Sam3JobState.Queued,
        "PROCESSING" or "IN_PROGRESS" or "RUNNING" => Sam3JobState.Processing,
        "COMPLETED" or "SUCCEEDED" => Sam3JobState.Completed,
        "FAILED" or "ERROR" => Sam3JobState.Failed,
        _ => Sam3JobState.Unknown,
    };
}
