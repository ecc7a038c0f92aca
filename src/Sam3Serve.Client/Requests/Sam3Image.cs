namespace Sam3Serve.Client;

/// <summary>
/// The <c>image</c> of a request: a URL the server fetches, or bytes sent inline as base64 in the JSON body.
/// Build one with <see cref="FromUrl(string)"/>, <see cref="FromFile(string)"/>, <see cref="FromBytes(byte[])"/>,
/// <see cref="FromStream(Stream)"/> or <see cref="FromBase64(string)"/>.
/// </summary>
public sealed class Sam3Image
{
    private readonly string? _inline;
    private readonly string? _filePath;

    private Sam3Image(string? inline, string? filePath, bool isUrl)
    {
        _inline = inline;
        _filePath = filePath;
        IsUrl = isUrl;
    }

    /// <summary>True when the server fetches the image from a URL; false when its bytes travel in the request.</summary>
    public bool IsUrl { get; }

    /// <summary>An <c>http</c> or <c>https</c> URL that the server downloads.</summary>
    /// <exception cref="ArgumentException">The text is not an absolute http(s) URL.</exception>
    public static Sam3Image FromUrl(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url, "image");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"image: '{url}' is not an absolute URL", "image");
        }
        return FromUrl(uri);
    }

    /// <summary>An <c>http</c> or <c>https</c> URL that the server downloads.</summary>
    /// <exception cref="ArgumentException">The URL is relative or not http(s).</exception>
    public static Sam3Image FromUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url, "image");
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"image: '{url}' must be an absolute http or https URL", "image");
        }
        return new Sam3Image(url.AbsoluteUri, null, isUrl: true);
    }

    /// <summary>Image file bytes (JPEG, PNG, WebP, BMP or GIF), sent as base64.</summary>
    /// <exception cref="ArgumentException">The array is empty.</exception>
    public static Sam3Image FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes, "image");
        return FromBytes(bytes.AsSpan());
    }

    /// <summary>Image file bytes (JPEG, PNG, WebP, BMP or GIF), sent as base64.</summary>
    /// <exception cref="ArgumentException">The span is empty.</exception>
    public static Sam3Image FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw new ArgumentException("image: the image has no bytes", "image");
        }
        return new Sam3Image(Convert.ToBase64String(bytes), null, isUrl: false);
    }

    /// <summary>
    /// An image file on disk, read when the request is sent (so a request can be built before the file is final).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static Sam3Image FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path, "image");
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"image: no file at '{fullPath}'", fullPath);
        }
        return new Sam3Image(null, fullPath, isUrl: false);
    }

    /// <summary>Reads the rest of <paramref name="stream"/> now; its bytes are sent as base64.</summary>
    /// <exception cref="ArgumentException">The stream has no bytes left.</exception>
    public static Sam3Image FromStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream, "image");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return FromBytes(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Reads the rest of <paramref name="stream"/> asynchronously; its bytes are sent as base64.</summary>
    /// <exception cref="ArgumentException">The stream has no bytes left.</exception>
    public static async Task<Sam3Image> FromStreamAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream, "image");
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return FromBytes(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>
    /// Text already in the wire form: raw base64 or a <c>data:image/...;base64,</c> URI, sent as given.
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty.</exception>
    public static Sam3Image FromBase64(string base64OrDataUri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(base64OrDataUri, "image");
        return new Sam3Image(base64OrDataUri, null, isUrl: false);
    }

    /// <summary>A short description (the URL, the file path, or the base64 length); never the image data.</summary>
    public override string ToString() =>
        IsUrl ? _inline! : _filePath is not null ? $"file {_filePath}" : $"base64 ({_inline!.Length} chars)";

    internal async ValueTask<string> GetWireValueAsync(CancellationToken cancellationToken)
    {
        if (_filePath is null)
        {
            return _inline!;
        }
        var bytes = await File.ReadAllBytesAsync(_filePath, cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            throw new ArgumentException($"image: the file '{_filePath}' is empty", "image");
        }
        return Convert.ToBase64String(bytes);
    }
}
