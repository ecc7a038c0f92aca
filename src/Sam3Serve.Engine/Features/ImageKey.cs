using System.IO.Hashing;
using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Engine.Features;

/// <summary>Cache keys for image features.</summary>
internal static class ImageKey
{
    /// <summary>
    /// The client's <paramref name="imageId"/> (with the image size, so a reused id on a different picture size is
    /// not confused), or else a 128-bit xxHash of the pixels.
    /// </summary>
    public static string For(RgbImage image, string? imageId)
    {
        ArgumentNullException.ThrowIfNull(image);
        return string.IsNullOrEmpty(imageId)
            ? $"px:{image.Width}x{image.Height}:{Convert.ToHexStringLower(XxHash128.Hash(image.Pixels))}"
            : $"id:{image.Width}x{image.Height}:{imageId}";
    }
}
