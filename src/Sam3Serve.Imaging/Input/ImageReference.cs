namespace Sam3Serve.Imaging.Input;

/// <summary>The request's <c>image</c> field, read: a URL to fetch or the image bytes themselves.</summary>
public abstract record ImageReference
{
    private ImageReference()
    {
    }

    /// <summary>An http or https URL to fetch with <see cref="ImageFetcher"/>.</summary>
    public sealed record Url(Uri Value) : ImageReference;

    /// <summary>Image bytes given in the request (raw base64 or a data URI).</summary>
    public sealed record Inline(byte[] Bytes) : ImageReference;

    /// <summary>
    /// Reads an http(s) URL, a <c>data:image/...;base64,</c> URI or raw base64 (whitespace allowed).
    /// Throws <see cref="ImageInputException"/>: Invalid for empty input or bad base64, UrlRefused for other
    /// URL schemes, TooLarge when the decoded bytes exceed <paramref name="maxBytes"/>.
    /// </summary>
    public static ImageReference Parse(string image, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(image);
        var text = image.AsSpan().Trim();
        if (text.IsEmpty)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image is empty");
        }

        // Base64 has no ':' in its alphabet, so a colon means the value is a URI of some scheme.
        var colon = text.IndexOf(':');
        if (colon < 0)
        {
            return new Inline(Base64Payload.Decode(text, maxBytes, "image"));
        }

        var scheme = text[..colon].ToString();
        if (scheme.Equals("data", StringComparison.OrdinalIgnoreCase))
        {
            return new Inline(DecodeDataUri(text[(colon + 1)..], maxBytes));
        }
        if (scheme.Equals(Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase)
            || scheme.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text.ToString(), UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                throw new ImageInputException(ImageErrorKind.Invalid, "image URL is not a valid http(s) URL");
            }
            return new Url(uri);
        }
        if (IsUriScheme(scheme))
        {
            throw new ImageInputException(ImageErrorKind.UrlRefused,
                $"image URL scheme '{scheme.ToLowerInvariant()}' is not allowed; use http, https, a data URI or base64");
        }
        throw new ImageInputException(ImageErrorKind.Invalid,
            "image is neither an http(s) URL, a data URI nor valid base64");
    }

    /// <summary>
    /// <see cref="Parse(string, long)"/> for the field's UTF-8 bytes (unescaped JSON string content): base64 and
    /// data URI payloads are decoded straight from them, without a UTF-16 copy of the payload; the same rules
    /// and errors apply.
    /// </summary>
    public static ImageReference Parse(ReadOnlySpan<byte> utf8, long maxBytes)
    {
        var text = utf8.Trim(" \t\r\n\f\v"u8);
        if (text.IsEmpty)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image is empty");
        }
        var colon = text.IndexOf((byte)':');
        if (colon < 0)
        {
            return new Inline(Base64Payload.Decode(text, maxBytes, "image"));
        }
        if (colon == 4 && System.Text.Ascii.EqualsIgnoreCase(text[..4], "data"u8))
        {
            var afterScheme = text[5..];
            var comma = afterScheme.IndexOf((byte)',');
            if (comma < 0)
            {
                throw new ImageInputException(ImageErrorKind.Invalid, "image data URI has no ',' before its payload");
            }
            CheckDataUriHeader(System.Text.Encoding.UTF8.GetString(afterScheme[..comma]));
            return new Inline(Base64Payload.Decode(afterScheme[(comma + 1)..], maxBytes, "image data URI payload"));
        }
        // URLs and refusals: short, so the text path serves.
        return Parse(System.Text.Encoding.UTF8.GetString(text), maxBytes);
    }

    private static byte[] DecodeDataUri(ReadOnlySpan<char> afterScheme, long maxBytes)
    {
        var comma = afterScheme.IndexOf(',');
        if (comma < 0)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image data URI has no ',' before its payload");
        }
        CheckDataUriHeader(afterScheme[..comma].ToString());
        return Base64Payload.Decode(afterScheme[(comma + 1)..], maxBytes, "image data URI payload");
    }

    /// <summary>The part between "data:" and ",": an image (or octet-stream) media type and ";base64".</summary>
    private static void CheckDataUriHeader(string header)
    {
        var parameters = header.Trim().Split(';', StringSplitOptions.TrimEntries);
        var mediaType = parameters[0];
        if (mediaType.Length > 0
            && !mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            && !mediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImageInputException(ImageErrorKind.Invalid, $"image data URI has media type '{mediaType}', not an image type");
        }
        if (!parameters.Skip(1).Any(p => p.Equals("base64", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image data URI must be base64-encoded (data:image/...;base64,...)");
        }
    }

    private static bool IsUriScheme(string scheme)
    {
        if (scheme.Length == 0 || !char.IsAsciiLetter(scheme[0]))
        {
            return false;
        }
        foreach (var c in scheme)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }
        return true;
    }
}
