using System.Globalization;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Auth;

/// <summary>
/// Resolves the caller's API key (x-api-key, or Authorization: Bearer), applies its per-minute limit,
/// and makes every answer to an authenticated call carry x-remaining-credits, read from the store
/// just before the headers go out so that it reflects a charge made by this very request.
/// </summary>
internal sealed class CallerAuthenticator(IAccountStore accounts)
{
    /// <summary>Header with the balance left after this request.</summary>
    public const string RemainingCreditsHeader = "x-remaining-credits";

    /// <summary>The caller's key, or an <see cref="ApiException"/> (401, 403, 429).</summary>
    public async Task<ApiKeyRecord> AuthenticateAsync(HttpContext context, bool countTowardsRateLimit)
    {
        var key = ReadKey(context.Request);
        if (string.IsNullOrEmpty(key))
        {
            throw new ApiException(401, "missing API key: send it in the x-api-key header");
        }
        var record = await accounts.FindByKeyAsync(key, context.RequestAborted)
            ?? throw new ApiException(401, "unknown API key");
        if (record.Disabled)
        {
            throw new ApiException(403, $"API key '{record.Prefix}…' is disabled");
        }
        var keyId = record.Id;
        context.Response.OnStarting(async () =>
        {
            var available = record.Available;
            // Only a request that touched the balance (a reservation, charge or refund) reads it again;
            // polls and media downloads answer with what authentication already read.
            if (context.Items.ContainsKey(BalanceChangedKey))
            {
                // A header must never fail an answer: if the store is briefly unreachable (a Redis restart),
                // a 200 for an accepted request turned into an error would make the client submit it again.
                try
                {
                    available = (await accounts.GetAsync(keyId, CancellationToken.None))?.Available;
                }
                catch (Exception)
                {
                    // Keep the value read at authentication.
                }
            }
            context.Response.Headers[RemainingCreditsHeader] = FormatCredits(available);
        });
        if (countTowardsRateLimit && record.RequestsPerMinute is { } rpm)
        {
            var decision = await accounts.TryAcquireRateAsync(keyId, rpm, context.RequestAborted);
            if (!decision.Allowed)
            {
                throw new ApiException(429, $"rate limit of {rpm} requests per minute reached; retry in {decision.RetryAfterSeconds} s", retryAfterSeconds: decision.RetryAfterSeconds);
            }
        }
        return record;
    }

    private const string BalanceChangedKey = "sam3serve.balance_changed";

    /// <summary>Notes that this request changed the caller's balance, so x-remaining-credits is read again.</summary>
    public static void MarkBalanceChanged(HttpContext context) => context.Items[BalanceChangedKey] = true;

    /// <summary>Credits as the header and the credits endpoint show them; unlimited keys show "unlimited".</summary>
    public static string FormatCredits(decimal? available) =>
        available is { } a ? a.ToString("0.######", CultureInfo.InvariantCulture) : "unlimited";

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("x-api-key", out var key) && !string.IsNullOrWhiteSpace(key))
        {
            return key.ToString().Trim();
        }
        var authorization = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        return authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? authorization[bearer.Length..].Trim() : null;
    }
}
