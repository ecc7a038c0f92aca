namespace Sam3Serve.Client;

/// <summary>
/// A wait for a v2 request ran out of time before the request completed or failed. The request may still
/// finish on the server: fetch it again with <see cref="Sam3Client.GetJob(string)"/> and its <see cref="RequestId"/>.
/// </summary>
public sealed class InferenceTimeoutException : Sam3Exception
{
    internal InferenceTimeoutException(string message, string requestId, TimeSpan elapsed, Sam3JobStatus? lastStatus)
        : base(message)
    {
        RequestId = requestId;
        Elapsed = elapsed;
        LastStatus = lastStatus;
    }

    /// <summary>The id of the request that is still pending.</summary>
    public override string RequestId { get; }

    /// <summary>How long the wait lasted.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The last status seen before giving up, if any.</summary>
    public Sam3JobStatus? LastStatus { get; }
}
