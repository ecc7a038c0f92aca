using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Imaging.Input;

namespace Sam3Serve.Server.Requests;

/// <summary>
/// Reads the <c>image</c> field straight from the JSON body's UTF-8 bytes: a base64 payload of a few MB is
/// decoded from the parsed document's own buffer instead of first becoming a UTF-16 string twice its size
/// (issue 11's request overhead). Escaped strings (e.g. "\u002B", which .NET serializers write for '+') are
/// unescaped into a pooled buffer first.
/// </summary>
internal static class ImageFieldReader
{
    /// <summary>The field as an <see cref="ImageReference"/>; throws <see cref="ImageInputException"/> as <see cref="ImageReference.Parse(string, long)"/>.</summary>
    public static ImageReference Parse(JsonNode field, long maxBytes)
    {
        // Values built in code (multipart form fields) have no document behind them: read them as text.
        if (field is not JsonValue value || !value.TryGetValue<JsonElement>(out var element) || element.ValueKind != JsonValueKind.String)
        {
            return ImageReference.Parse(field.GetValue<string>(), maxBytes);
        }
        var raw = JsonMarshal.GetRawUtf8Value(element); // with its quotes, escapes as sent
        var content = raw[1..^1];
        if (content.IndexOf((byte)'\\') < 0)
        {
            return ImageReference.Parse(content, maxBytes);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(content.Length);
        try
        {
            var reader = new Utf8JsonReader(raw);
            reader.Read();
            var written = reader.CopyString(buffer);
            return ImageReference.Parse(buffer.AsSpan(0, written), maxBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
