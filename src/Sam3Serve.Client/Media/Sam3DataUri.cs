namespace Sam3Serve.Client;

/// <summary>A decoded <c>data:</c> URI, as v1 answers carry their images (<c>data:image/png;base64,...</c>).</summary>
/// <param name="MediaType">The media type, e.g. <c>image/png</c>; <c>text/plain</c> when the URI names none.</param>
/// <param name="Data">The decoded bytes.</param>
public sealed record Sam3DataUri(string MediaType, byte[] Data)
{
    /// <summary>True when <paramref name="text"/> starts with <c>data:</c>.</summary>
    public static bool IsDataUri(string? text) => text is not null && text.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes a <c>data:[media-type][;base64],payload</c> URI.</summary>
    /// <exception cref="FormatException">The text is not a data URI or its payload is not valid base64.</exception>
    public static Sam3DataUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var result)
            ? result
            : throw new FormatException("not a base64 or percent-encoded data: URI");
    }

    /// <summary>Decodes a data URI; false when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Sam3DataUri? result)
    {
        result = null;
        if (!IsDataUri(text))
        {
            return false;
        }
        var comma = text!.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            return false;
        }
        var header = text.AsSpan(5, comma - 5);
        var payload = text.AsSpan(comma + 1);
        var isBase64 = header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase);
        if (isBase64)
        {
            header = header[..^7];
        }
        var semicolon = header.IndexOf(';');
        var mediaType = (semicolon >= 0 ? header[..semicolon] : header).Trim().ToString();
        if (mediaType.Length == 0)
        {
            mediaType = "text/plain";
        }
        byte[] data;
        if (isBase64)
        {
            var buffer = new byte[payload.Length * 3 / 4 + 3];
            if (!Convert.TryFromBase64Chars(payload, buffer, out var written))
            {
                return false;
            }
            data = buffer.AsSpan(0, written).ToArray();
        }
        else
        {
            data = System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(payload.ToString()));
        }
        result = new Sam3DataUri(mediaType, data);
        return true;
    }
}
