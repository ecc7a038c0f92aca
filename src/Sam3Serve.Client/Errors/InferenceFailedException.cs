namespace Sam3Serve.Client;

/// <summary>A v2 request reached FAILED (the server answers 422): the image could not be fetched or decoded, or inference failed.</summary>
public sealed class InferenceFailedException : Sam3Exception
{
    internal InferenceFailedException(string message, string requestId, string? error, Sam3Metrics metrics, string responseBody)
        : base(message)
    {
        RequestId = requestId;
        Error = error;
        Metrics = metrics;
        ResponseBody = responseBody;
    }

    /// <summary>The failed request's id.</summary>
    public override string RequestId { get; }

    /// <summary>The server's <c>error</c>: why the request failed.</summary>
    public string? Error { get; }

    /// <summary>The <c>metrics</c> the server reported with the failure.</summary>
    public Sam3Metrics Metrics { get; }

    /// <summary>The raw status or result body, as text.</summary>
    public string ResponseBody { get; }
}
