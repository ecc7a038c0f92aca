using System.Security.Cryptography;

namespace Sam3Serve.Server.Webhooks;

/// <summary>
/// The signing secret of webhooks in the Standard Webhooks form <c>whsec_&lt;base64&gt;</c>: the HMAC key is
/// the decoded bytes, not the text.
/// </summary>
public static class WebhookSecret
{
    /// <summary>The prefix of every secret.</summary>
    public const string Prefix = "whsec_";

    /// <summary>File in the data dir holding the secret when the server generated it, readable only by its owner.</summary>
    public const string FileName = "webhook-secret.txt";

    /// <summary>Fewest key bytes accepted (Standard Webhooks uses 24 to 64).</summary>
    public const int MinKeyBytes = 16;

    /// <summary>A new random secret (32 key bytes).</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key bytes of <paramref name="secret"/>; null when it is not <c>whsec_</c> + base64 of at least <see cref="MinKeyBytes"/> bytes.</summary>
    public static byte[]? TryDecode(string? secret)
    {
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            var key = Convert.FromBase64String(secret[Prefix.Length..]);
            return key.Length >= MinKeyBytes ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The <c>webhook-signature</c> value: <c>v1,</c> + base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static string Sign(byte[] key, string id, long timestamp, string body)
    {
        var content = System.Text.Encoding.UTF8.GetBytes($"{id}.{timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
