using Sam3Serve.Jobs.Webhooks;

namespace Sam3Serve.Server.Webhooks;

/// <summary>
/// Holds this process's webhook key. <c>--webhook-secret</c> wins; otherwise the secret stored in the job
/// store (shared by every process on one Redis), created from a fresh random one on first start and copied
/// to <c>&lt;data-dir&gt;/webhook-secret.txt</c> (mode 0600) so the operator can give it to receivers.
/// </summary>
internal sealed partial class WebhookSigner(IWebhookOutbox outbox, ServerOptions options, ILogger<WebhookSigner> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[]? _key;

    /// <summary>The key bytes, resolving the secret on first use.</summary>
    public async Task<byte[]> GetKeyAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _key) is { } key)
        {
            return key;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_key is null)
            {
                var secret = options.WebhookSecret
                    ?? await outbox.GetOrCreateWebhookSecretAsync(WebhookSecret.Generate(), cancellationToken);
                var decoded = WebhookSecret.TryDecode(secret)
                    ?? throw new InvalidOperationException("the stored webhook secret is not of the form whsec_<base64>");
                if (options.WebhookSecret is null)
                {
                    await SaveCopyAsync(secret, cancellationToken);
                }
                Volatile.Write(ref _key, decoded);
            }
            return _key!;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Headers of one delivery attempt of <paramref name="message"/> (Standard Webhooks).</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> HeadersAsync(WebhookRecord message, long timestamp, CancellationToken cancellationToken)
    {
        var key = await GetKeyAsync(cancellationToken);
        return
        [
            new("webhook-id", message.Id),
            new("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("webhook-signature", WebhookSecret.Sign(key, message.Id, timestamp, message.Body)),
        ];
    }

    private async Task SaveCopyAsync(string secret, CancellationToken cancellationToken)
    {
        var path = Path.Combine(options.DataDir, WebhookSecret.FileName);
        if (File.Exists(path) && (await File.ReadAllTextAsync(path, cancellationToken)).Trim() == secret)
        {
            return;
        }
        Directory.CreateDirectory(options.DataDir);
        // Restrict the file before the secret is written into it, so it is never readable by others.
        await File.WriteAllTextAsync(path, "", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        await File.WriteAllTextAsync(path, secret + Environment.NewLine, cancellationToken);
        LogSaved(logger, Path.GetFullPath(path));
    }

    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "Webhook signing secret saved to {Path}")]
    private static partial void LogSaved(ILogger logger, string path);
}
