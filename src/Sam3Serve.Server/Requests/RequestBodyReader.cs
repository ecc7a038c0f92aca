using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Requests;

/// <summary>
/// Reads a POST body into one JSON object, whatever its encoding: JSON as is, or multipart/form-data
/// with the image as a file part and the other parameters as text fields. Form fields are all text, so
/// they are converted to the JSON type the contract gives each known field before validation.
/// </summary>
internal static class RequestBodyReader
{
    private const int MaxSeparators = 20_000;

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
        // The body goes into a pooled buffer that the parsed document reads in place (no copy of a few MB per
        // request on the large object heap); the image field is later decoded from these very bytes. Both are
        // released when the response has been sent, after everything read from the body has been taken out.
        var body = await PooledBody.ReadAsync(request, maxBytes, cancellationToken);
        request.HttpContext.Response.RegisterForDispose(body);
        // System.Text.Json checks UTF-8 inside strings only when a string is read, and then throws an
        // InvalidOperationException (a 500); checking the whole body first makes it the client's 400.
        if (!System.Text.Unicode.Utf8.IsValid(body.Memory.Span))
        {
            throw new ApiException(400, "malformed JSON body: it is not valid UTF-8");
        }
        // A parsed document costs about 12 bytes per JSON value besides the text, so a 20 MB body of "0,0,0..."
        // would take over 100 MB. Commas and opening brackets bound the number of values from above; a real
        // request has a few thousand at most (1000 boxes), whatever the size of its image.
        var span = body.Memory.Span;
        var separators = span.Count((byte)',') + span.Count((byte)'[') + span.Count((byte)'{');
        if (separators > MaxSeparators)
        {
            throw new ApiException(400, $"malformed JSON body: it holds too many values ({separators} separators; at most {MaxSeparators})");
        }
        if (!StringsAreReadable(span))
        {
            throw new ApiException(400, "malformed JSON body: a string holds a \\u escape of a lone surrogate (not a character)");
        }
        JsonNode? node;
        try
        {
            // Duplicate names would throw an ArgumentException (a 500) when the object is first read; refuse them here.
            var document = JsonDocument.Parse(body.Memory, new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            body.Attach(document);
            node = document.RootElement.ValueKind switch
            {
                JsonValueKind.Object => JsonObject.Create(document.RootElement),
                _ => null,
            };
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"malformed JSON body: {e.Message}");
        }
        return node is JsonObject obj
            ? (obj, null)
            : throw new ApiException(400, "the request body must be a JSON object");
    }

    /// <summary>
    /// False when a string or name holds a \u escape of a lone surrogate: System.Text.Json accepts it while
    /// parsing but throws InvalidOperationException (a 500) when the string is read. Only text with a \uD...
    /// escape can be affected, so only such text (rare) is read through once.
    /// </summary>
    internal static bool StringsAreReadable(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\\ud"u8) < 0 && json.IndexOf("\\uD"u8) < 0)
        {
            return true;
        }
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    reader.GetString();
                }
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (JsonException)
        {
            // Malformed otherwise: the parse that follows reports it.
        }
        return true;
    }

    private static async Task<(JsonObject, byte[]?)> ReadFormAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (IOException e) when (e is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // A body that ends before its closing boundary, or broken chunked framing underneath it.
            throw new ApiException(400, $"malformed multipart body: {e.Message}");
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
        // (An array whose strings cannot be read stays text: the validator then refuses it by name.)
        if (name == "text_prompts" && text.TrimStart().StartsWith('[') && StringsAreReadable(System.Text.Encoding.UTF8.GetBytes(text)))
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
