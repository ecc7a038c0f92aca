namespace Sam3Serve.Server.Errors;

/// <summary>The per-request id: in logs (scope), in the x-request-id header, and as the v2 request id.</summary>
internal static class RequestIds
{
    /// <summary>HttpContext.Items key holding the id.</summary>
    public const string ItemKey = "sam3serve.request_id";

    /// <summary>A new id: 32 hex characters, no dashes (URL-safe).</summary>
    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>The id of the current request.</summary>
    public static string Of(HttpContext context) => (string)context.Items[ItemKey]!;
}
