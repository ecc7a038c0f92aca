using Sam3Serve.Jobs.Accounts;

namespace Sam3Serve.Server;

/// <summary>The key a fresh installation starts with, so that the service is usable after one command.</summary>
internal static class FirstKey
{
    /// <summary>File in the data dir that holds the generated key, readable only by its owner.</summary>
    public const string FileName = "api-key.txt";

    /// <summary>
    /// When the store has no key at all, creates one named "default" (unlimited credits), writes it to
    /// <c>&lt;data-dir&gt;/api-key.txt</c> with mode 0600 and returns it; otherwise returns null.
    /// </summary>
    public static async Task<string?> EnsureAsync(IAccountStore accounts, string dataDir, CancellationToken cancellationToken)
    {
        if ((await accounts.ListAsync(cancellationToken)).Count > 0)
        {
            return null;
        }
        var (_, key) = await accounts.CreateKeyAsync("default", credits: null, requestsPerMinute: null, cancellationToken);
        var path = Path.Combine(dataDir, FileName);
        // Restrict the file before the key is written into it, so it is never readable by others.
        await File.WriteAllTextAsync(path, "", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        await File.WriteAllTextAsync(path, key + Environment.NewLine, cancellationToken);
        return key;
    }
}
