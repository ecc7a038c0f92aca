using System.Security.Cryptography;
using System.Text;

namespace Sam3Serve.Jobs.Accounts;

/// <summary>Generating and hashing API keys.</summary>
public static class ApiKeys
{
    private const string KeyPrefix = "s3s_";

    /// <summary>A new random key: a fixed prefix and 32 random bytes in base64url.</summary>
    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return KeyPrefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// SHA-256 of the key, hex. Keys carry 256 random bits, so a fast unsalted hash is enough: there is
    /// nothing to brute-force that a slow hash would protect, and lookups stay one index probe.
    /// </summary>
    public static string Hash(string plainKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plainKey)));

    /// <summary>The part of a key shown in listings.</summary>
    public static string PrefixOf(string plainKey) => plainKey.Length <= 10 ? plainKey : plainKey[..10];
}
