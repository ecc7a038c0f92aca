namespace Sam3Serve.Client;

/// <summary>
/// The answer of <c>POST /v1/sam3-image</c>: either image bytes (one image asked for, Segmind's "Returns: Image")
/// or the output object with inline data URIs, as the server's Content-Type said.
/// </summary>
public sealed class Sam3SyncResponse
{
    /// <summary>True when the body was an image and <see cref="Image"/> holds it; false when <see cref="Output"/> is set.</summary>
    public bool IsImage => Image is not null;

    /// <summary>The image bytes (usually PNG) when the server answered with an image.</summary>
    public byte[]? Image { get; init; }

    /// <summary>The output object when the server answered with JSON.</summary>
    public Sam3Output? Output { get; init; }

    /// <summary>The media type of the body, e.g. <c>image/png</c> or <c>application/json</c>.</summary>
    public string ContentType { get; init; } = "";

    /// <summary><c>x-request-id</c>, when the server sends it.</summary>
    public string? RequestId { get; init; }

    /// <summary><c>x-inference-time</c>: seconds spent in the model, when the server sends it.</summary>
    public double? InferenceTime { get; init; }

    /// <summary><c>x-remaining-credits</c>: the key's balance after this call, when the server sends it.</summary>
    public double? RemainingCredits { get; init; }
}
