namespace Sam3Serve.Imaging.Input;

/// <summary>Why an image could not be taken as input; each kind maps to one HTTP status.</summary>
public enum ImageErrorKind
{
    /// <summary>Not decodable, not valid base64, empty, or otherwise malformed: 400.</summary>
    Invalid,
    /// <summary>Bytes or declared pixels over the configured limit: 413.</summary>
    TooLarge,
    /// <summary>The URL's scheme, address or redirect chain is not allowed: 400.</summary>
    UrlRefused,
    /// <summary>The image URL's server answered with an error: 502.</summary>
    UpstreamError,
    /// <summary>The image URL did not answer in time: 504.</summary>
    Timeout,
}

/// <summary>An image that cannot be used, with a message meant for the client and the HTTP status to answer.</summary>
public sealed class ImageInputException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> is shown to the client as is.</summary>
    public ImageInputException(ImageErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What went wrong.</summary>
    public ImageErrorKind Kind { get; }

    /// <summary>The HTTP status that reports <see cref="Kind"/>.</summary>
    public int StatusCode => Kind switch
    {
        ImageErrorKind.TooLarge => 413,
        ImageErrorKind.UpstreamError => 502,
        ImageErrorKind.Timeout => 504,
        _ => 400,
    };
}
