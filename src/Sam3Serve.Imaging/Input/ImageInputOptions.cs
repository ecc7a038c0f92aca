namespace Sam3Serve.Imaging.Input;

/// <summary>Limits for reading an input image.</summary>
public sealed class ImageInputOptions
{
    /// <summary>Largest encoded image, inline or fetched, in bytes.</summary>
    public long MaxImageBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Largest decoded image, width × height, checked from the header before decoding.</summary>
    public long MaxPixels { get; init; } = 50_000_000;

    /// <summary>Time for a whole URL fetch: every redirect hop and the body.</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Redirects followed before the URL is refused.</summary>
    public int MaxRedirects { get; init; } = 3;

    /// <summary>Host names or IP addresses that may be fetched even though they are private or loopback.</summary>
    public IReadOnlyCollection<string> AllowedHosts { get; init; } = [];
}
