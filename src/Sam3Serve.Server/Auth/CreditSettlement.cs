using Sam3Serve.Jobs.Accounts;

namespace Sam3Serve.Server.Auth;

/// <summary>
/// Settles a credit reservation once its request has ended: charged when it completed, returned when it
/// failed. A store that is briefly unreachable (a Redis restart) must not leave credits held forever,
/// so each settlement is retried with backoff for up to two minutes before it is given up and logged.
/// </summary>
internal sealed partial class CreditSettlement(IAccountStore accounts, ILogger<CreditSettlement> logger)
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    /// <summary>Charges the hold of a completed request (the hold id is the request id).</summary>
    public Task ChargeAsync(string keyId, string requestId) =>
        RetryAsync(() => accounts.CommitAsync(keyId, requestId, CancellationToken.None), keyId, requestId, "charge");

    /// <summary>Returns the hold of a failed or refused request.</summary>
    public Task RefundAsync(string keyId, string requestId) =>
        RetryAsync(() => accounts.ReleaseAsync(keyId, requestId, CancellationToken.None), keyId, requestId, "refund");

    // Settling is idempotent per hold id in every store, so retrying a call whose answer was lost is safe.
    private async Task RetryAsync(Func<Task> settle, string keyId, string requestId, string what)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var deadline = DateTime.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                await settle();
                return;
            }
            catch (Exception e) when (DateTime.UtcNow < deadline && e is not ArgumentException)
            {
                LogRetry(logger, e, what, keyId);
                await Task.Delay(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(5000, delay.TotalMilliseconds * 2));
            }
            catch (Exception e)
            {
                LogGaveUp(logger, e, what, requestId, keyId);
                return;
            }
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Warning, Message = "Credit {What} for key {KeyId} failed; retrying")]
    private static partial void LogRetry(ILogger logger, Exception exception, string what, string keyId);

    [LoggerMessage(EventId = 51, Level = LogLevel.Error, Message = "Credit {What} of request {RequestId} for key {KeyId} could not be settled; the reservation stays held")]
    private static partial void LogGaveUp(ILogger logger, Exception exception, string what, string requestId, string keyId);
}
