using System.Security.Cryptography;

namespace Sam3Serve.Models;

/// <summary>sha256 of files on disk, as lower-case hex.</summary>
internal static class FileHashing
{
    public static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var hash = await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    public static bool Matches(string? expected, string actual) =>
        string.Equals(expected?.Trim(), actual, StringComparison.OrdinalIgnoreCase);
}
