namespace Sam3Serve.Client;

/// <summary>Base of every error this SDK raises about an answer of the API.</summary>
public abstract class Sam3Exception : Exception
{
    /// <summary>An error with a message.</summary>
    protected Sam3Exception(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The request id the error belongs to, when known.</summary>
    public abstract string? RequestId { get; }
}
