namespace Sam3Serve.Jobs.Queue;

/// <summary>Why a request failed, as a category the service can act on (the message says it in words).</summary>
public enum FailureKind
{
    /// <summary>The request or its image is malformed, or a prompt does not fit the image.</summary>
    InvalidInput,
    /// <summary>The image is over the configured byte or pixel limit.</summary>
    InputTooLarge,
    /// <summary>The image URL's server answered with an error.</summary>
    ImageUpstream,
    /// <summary>The image URL did not answer in time.</summary>
    ImageTimeout,
    /// <summary>The installed model lacks the files the request's mode needs.</summary>
    ModeUnavailable,
    /// <summary>The client cancelled the request.</summary>
    Cancelled,
    /// <summary>Workers stopped while processing it more times than allowed.</summary>
    Abandoned,
    /// <summary>A /v1 request did not finish within its deadline.</summary>
    DeadlineExceeded,
    /// <summary>A fault of the service itself.</summary>
    Internal,
}

/// <summary>A typed failure: its kind and the HTTP status a client sees for it (on /v1, the answer's status).</summary>
/// <param name="Kind">The category.</param>
/// <param name="Status">The HTTP status that reports it.</param>
public sealed record JobFailure(FailureKind Kind, int Status)
{
    /// <summary>The failure of <paramref name="kind"/> with the status the service gives that kind.</summary>
    public static JobFailure Of(FailureKind kind) => new(kind, StatusOf(kind));

    /// <summary>The HTTP status of each kind: the one mapping from failure to status.</summary>
    public static int StatusOf(FailureKind kind) => kind switch
    {
        FailureKind.InvalidInput or FailureKind.ModeUnavailable => 400,
        FailureKind.InputTooLarge => 413,
        FailureKind.ImageUpstream => 502,
        FailureKind.ImageTimeout or FailureKind.DeadlineExceeded => 504,
        FailureKind.Cancelled => 409,
        _ => 500,
    };
}

/// <summary>The wire names of <see cref="JobStatus"/>: the one place they are written.</summary>
public static class JobStatusNames
{
    /// <summary>"QUEUED".</summary>
    public const string Queued = "QUEUED";
    /// <summary>"PROCESSING".</summary>
    public const string Processing = "PROCESSING";
    /// <summary>"COMPLETED".</summary>
    public const string Completed = "COMPLETED";
    /// <summary>"FAILED".</summary>
    public const string Failed = "FAILED";

    /// <summary>The name clients see for <paramref name="status"/>.</summary>
    public static string Of(JobStatus status) => status switch
    {
        JobStatus.Queued => Queued,
        JobStatus.Processing => Processing,
        JobStatus.Completed => Completed,
        JobStatus.Failed => Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
