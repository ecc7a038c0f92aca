using System.Text.Json;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Requests;

/// <summary>How a validated request is written into the job store and read back by a worker.</summary>
internal static class StoredRequest
{
    /// <summary>Serialises the validated request.</summary>
    public static string Serialize(SegmentationRequest request) => JsonSerializer.Serialize(request, JsonOptions.Web);

    /// <summary>Reads a request written by <see cref="Serialize"/>.</summary>
    public static SegmentationRequest Deserialize(string json) =>
        JsonSerializer.Deserialize<SegmentationRequest>(json, JsonOptions.Web)
        ?? throw new InvalidDataException("stored request is empty");
}
