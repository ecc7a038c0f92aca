using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Requests;

/// <summary>
/// Reads a POST body into one JSON object, whatever its encoding: JSON as is, or multipart/form-data
/// with the image as a file part and the other parameters as text fields. Form fields are all text, so
/// they are converted to the JSON type the contract gives each known field before validation.
/// </summary>
public static class RequestBodyReader
{
    private static readonly HashSet<string> NumberFields = ["threshold", "points_per_side", "pred_iou_thresh", "max_masks"];
    private static readonly HashSet<string> BooleanFields = ["return_preview", "return_overlay", "return_masks"];

    /// <summary>The body as a JSON object plus the uploaded image bytes (multipart only).</summary>
    public static async Task<(JsonObject Body, byte[]? Upload)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.HasFormContentType)
        {
            return await ReadFormAsync(request, maxBytes, cancellationToken);
        }
        var contentType = request.ContentType ?? "";
        if (contentType.Length > 0 && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(400, $"unsupported content type '{contentType}': send application/json or multipart/form-data");
        }
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = false },
                new JsonDocumentOptions { MaxDepth = 16 }, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"malformed JSON body: {e.Message}");
        }
        return node is JsonObject obj
            ? (obj, null)
            : throw new ApiException(400, "the request body must be a JSON object");
    }

    private static async Task<(JsonObject, byte[]?)> ReadFormAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException e)
        {
            // Raised for a multipart body over the form limits, among other shape errors.
            var tooLarge = e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
            throw new ApiException(tooLarge ? 413 : 400, tooLarge ? "request body is larger than the configured limit" : $"malformed multipart body: {e.Message}");
        }
        var body = new JsonObject();
        foreach (var (name, values) in form)
        {
            var text = values.ToString();
            body[name] = ConvertFormField(name, text);
        }
        byte[]? upload = null;
        var file = form.Files.GetFile("image");
        if (file is not null)
        {
            if (file.Length > maxBytes)
            {
                throw new ApiException(413, $"image file is {file.Length} bytes, over the limit of {maxBytes}");
            }
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            upload = buffer.ToArray();
            body.Remove("image");
        }
        return (body, upload);
    }

    private static JsonNode? ConvertFormField(string name, string text)
    {
        if (NumberFields.Contains(name) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }
        if (BooleanFields.Contains(name))
        {
            if (text is "true" or "True" or "1") return JsonValue.Create(true);
            if (text is "false" or "False" or "0") return JsonValue.Create(false);
        }
        if (name == "text_prompts" && text.TrimStart().StartsWith('['))
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return JsonValue.Create(text);
            }
        }
        // Anything else stays text; the validator reports a wrong type by field name.
        return JsonValue.Create(text);
    }
}
