using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sam3Serve.Client;

/// <summary>
/// Checks the signature of a webhook the server sent (Standard Webhooks): <c>webhook-signature</c> holds one or more
/// space-separated <c>v1,&lt;base64&gt;</c> entries, each an HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c>
/// keyed with the decoded secret (<c>whsec_&lt;base64&gt;</c>, the server's <c>--webhook-secret</c> or its
/// <c>webhook-secret.txt</c>). Pass the body exactly as received, before any JSON parsing.
/// </summary>
public static class Sam3Webhook
{
    /// <summary>How far <c>webhook-timestamp</c> may be from now by default (replayed old messages are refused).</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private const string SecretPrefix = "whsec_";

    /// <summary>
    /// True when <paramref name="body"/> carries a valid signature under <paramref name="secret"/> and a timestamp within
    /// <see cref="DefaultTolerance"/> of now. Header names are matched case-insensitively.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is not <c>whsec_</c> + base64 (or bare base64).</exception>
    public static bool Verify(string secret, IEnumerable<KeyValuePair<string, string>> headers, string body) =>
        Verify(secret, headers, body, DefaultTolerance, TimeProvider.System);

    /// <summary>
    /// True when <paramref name="body"/> carries a valid signature under <paramref name="secret"/> and a timestamp within
    /// <paramref name="tolerance"/> of <paramref name="time"/>'s now.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is not <c>whsec_</c> + base64 (or bare base64).</exception>
    public static bool Verify(string secret, IEnumerable<KeyValuePair<string, string>> headers, string body, TimeSpan tolerance, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(headers);
        string? id = null, timestamp = null, signature = null;
        foreach (var (name, value) in headers)
        {
            if (name.Equals("webhook-id", StringComparison.OrdinalIgnoreCase)) id = value;
            else if (name.Equals("webhook-timestamp", StringComparison.OrdinalIgnoreCase)) timestamp = value;
            else if (name.Equals("webhook-signature", StringComparison.OrdinalIgnoreCase)) signature = value;
        }
        return Verify(secret, id, timestamp, signature, body, tolerance, time);
    }

    /// <summary>
    /// True when the three header values sign <paramref name="body"/> under <paramref name="secret"/> and the timestamp
    /// is within <paramref name="tolerance"/> of <paramref name="time"/>'s now; false when a header is missing.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is not <c>whsec_</c> + base64 (or bare base64).</exception>
    public static bool Verify(string secret, string? webhookId, string? webhookTimestamp, string? webhookSignature, string body, TimeSpan tolerance, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(tolerance, TimeSpan.Zero);
        var key = DecodeSecret(secret);
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookSignature)
            || !long.TryParse(webhookTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - seconds) > (long)tolerance.TotalSeconds)
        {
            return false;
        }
        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{webhookId}.{webhookTimestamp}.{body}"));
        var matched = false;
        // Several signatures (e.g. during a secret rotation): any valid v1 one is enough. Every entry is compared,
        // each in constant time, so the answer's timing tells nothing about the expected value.
        foreach (var entry in webhookSignature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = entry.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || !entry.AsSpan(0, comma).SequenceEqual("v1"))
            {
                continue;
            }
            var candidate = new byte[expected.Length];
            if (Convert.TryFromBase64String(entry[(comma + 1)..], candidate, out var written) && written == expected.Length)
            {
                matched |= CryptographicOperations.FixedTimeEquals(candidate, expected);
            }
        }
        return matched;
    }

    /// <summary>The <c>webhook-signature</c> value the server sends for this message: <c>v1,&lt;base64&gt;</c> (for tests of a receiver).</summary>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is not <c>whsec_</c> + base64 (or bare base64).</exception>
    public static string Sign(string secret, string webhookId, DateTimeOffset timestamp, string body)
    {
        ArgumentException.ThrowIfNullOrEmpty(webhookId);
        ArgumentNullException.ThrowIfNull(body);
        var key = DecodeSecret(secret);
        var content = Encoding.UTF8.GetBytes($"{webhookId}.{timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    private static byte[] DecodeSecret(string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            var key = Convert.FromBase64String(encoded);
            return key.Length > 0 ? key : throw new ArgumentException("the webhook secret is empty", nameof(secret));
        }
        catch (FormatException e)
        {
            throw new ArgumentException("the webhook secret must be whsec_ followed by base64", nameof(secret), e);
        }
    }
}
