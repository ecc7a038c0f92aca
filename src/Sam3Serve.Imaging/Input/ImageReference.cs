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

    private static byte[] DecodeDataUri(ReadOnlySpan<char> afterScheme, long maxBytes)
    {
        var comma = afterScheme.IndexOf(',');
        if (comma < 0)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, "image data URI has no ',' before its payload");
        }
        var header = afterScheme[..comma].Trim();
        var parameters = header.ToString().Split(';', StringSplitOptions.TrimEntries);
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
        return Base64Payload.Decode(afterScheme[(comma + 1)..], maxBytes, "image data URI payload");
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
