namespace Sam3Serve.Client;

/// <summary>The body of <c>GET /v1/get-user-credits</c>.</summary>
public sealed class Sam3Credits
{
    /// <summary><c>credits</c>: the paid balance of the calling key; null when the key has no limit (Sam3Serve sends <c>null</c>).</summary>
    public double? Credits { get; init; }

    /// <summary><c>free-credits</c>: the free balance of the calling key.</summary>
    public double FreeCredits { get; init; }
}
