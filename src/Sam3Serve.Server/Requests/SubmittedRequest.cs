using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Server.Requests;

/// <summary>A request body that passed validation: the request, and the image as the client gave it.</summary>
/// <param name="Request">The validated request with its mode decided.</param>
/// <param name="ImageField">The <c>image</c> field (URL, base64 or data URI), a JSON string, when given as text.</param>
/// <param name="ImageUpload">The uploaded file's bytes, when sent as a multipart part named <c>image</c>.</param>
internal sealed record SubmittedRequest(SegmentationRequest Request, JsonNode? ImageField, byte[]? ImageUpload)
{
    /// <summary>The <c>image</c> field as text. A base64 payload is large: <see cref="ImageFieldReader"/> reads it without this copy.</summary>
    public string? ImageText => ImageField?.GetValue<string>();

    /// <summary>The <c>webhook</c> field (/v2 only): an absolute http(s) URL, or null.</summary>
    public Uri? Webhook { get; init; }
}
