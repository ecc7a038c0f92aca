namespace Sam3Serve.Client.Tests;

/// <summary><see cref="Sam3Webhook"/>: Standard Webhooks signature checks.</summary>
public sealed class WebhookVerificationTests
{
    // The example of the Standard Webhooks specification (github.com/standard-webhooks/standard-webhooks, spec).
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private const string SpecBody = """{"test": 2432232314}""";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private const string Secret = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    private const string Body = """{"status":"COMPLETED","request_id":"abc"}""";

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static readonly TimeProvider AtSpecTime = new FixedClock(DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp + 10));

    private static Dictionary<string, string> Headers(string id, long timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["webhook-signature"] = signature,
    };

    [Fact]
    public void Sign_SpecificationExample_GivesTheSpecifiedSignature()
    {
        Assert.Equal(SpecSignature, Sam3Webhook.Sign(SpecSecret, SpecId, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecBody));
    }

    [Fact]
    public void Verify_SpecificationExample_IsValid_AndAnyChangeIsNot()
    {
        var headers = Headers(SpecId, SpecTimestamp, SpecSignature);
        Assert.True(Sam3Webhook.Verify(SpecSecret, headers, SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        Assert.False(Sam3Webhook.Verify(SpecSecret, headers, SpecBody + " ", Sam3Webhook.DefaultTolerance, AtSpecTime));
        Assert.False(Sam3Webhook.Verify(SpecSecret, Headers("msg_other", SpecTimestamp, SpecSignature), SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        Assert.False(Sam3Webhook.Verify(SpecSecret, Headers(SpecId, SpecTimestamp + 1, SpecSignature), SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        Assert.False(Sam3Webhook.Verify(Secret, headers, SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
    }

    [Fact]
    public void Verify_NowAndTheDefaultTolerance_SignedJustNow_IsValid()
    {
        var now = DateTimeOffset.UtcNow;
        var headers = Headers("abc_1", now.ToUnixTimeSeconds(), Sam3Webhook.Sign(Secret, "abc_1", now, Body));
        Assert.True(Sam3Webhook.Verify(Secret, headers, Body));
    }

    [Fact]
    public void Verify_TimestampOutsideTheTolerance_IsRefused_EvenWithAGoodSignature()
    {
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var headers = Headers("abc_1", signedAt.ToUnixTimeSeconds(), Sam3Webhook.Sign(Secret, "abc_1", signedAt, Body));
        var tolerance = TimeSpan.FromMinutes(5);

        Assert.True(Sam3Webhook.Verify(Secret, headers, Body, tolerance, new FixedClock(signedAt.AddMinutes(4))));
        Assert.True(Sam3Webhook.Verify(Secret, headers, Body, tolerance, new FixedClock(signedAt.AddMinutes(-4))));
        Assert.False(Sam3Webhook.Verify(Secret, headers, Body, tolerance, new FixedClock(signedAt.AddMinutes(6))));
        Assert.False(Sam3Webhook.Verify(Secret, headers, Body, tolerance, new FixedClock(signedAt.AddMinutes(-6))));
    }

    [Fact]
    public void Verify_SeveralSignatures_AnyValidV1OneIsEnough()
    {
        var good = Sam3Webhook.Sign(SpecSecret, SpecId, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecBody);
        var other = Sam3Webhook.Sign(Secret, SpecId, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecBody);
        var v2 = "v2," + good[3..];

        Assert.True(Sam3Webhook.Verify(SpecSecret, Headers(SpecId, SpecTimestamp, $"{other} {good}"), SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        Assert.True(Sam3Webhook.Verify(SpecSecret, Headers(SpecId, SpecTimestamp, $"v1,notbase64!! {good} "), SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        // Another scheme's entry carrying the right bytes does not count, nor does a wrong one alone.
        Assert.False(Sam3Webhook.Verify(SpecSecret, Headers(SpecId, SpecTimestamp, v2), SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        Assert.False(Sam3Webhook.Verify(SpecSecret, Headers(SpecId, SpecTimestamp, other), SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
    }

    [Fact]
    public void Verify_HeaderNamesAnyCase_AndMissingHeadersAreInvalid()
    {
        var headers = new Dictionary<string, string>
        {
            ["Webhook-Id"] = SpecId,
            ["WEBHOOK-TIMESTAMP"] = SpecTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-Signature"] = SpecSignature,
        };
        Assert.True(Sam3Webhook.Verify(SpecSecret, headers, SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        foreach (var missing in headers.Keys)
        {
            var partial = headers.Where(h => h.Key != missing);
            Assert.False(Sam3Webhook.Verify(SpecSecret, partial, SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        }
        Assert.False(Sam3Webhook.Verify(SpecSecret, Headers(SpecId, SpecTimestamp, SpecSignature).Append(new("webhook-timestamp", "soon")), SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
    }

    [Fact]
    public void Verify_SecretWithoutPrefix_IsTheSameKey_AndAMalformedSecretIsAnArgumentError()
    {
        var headers = Headers(SpecId, SpecTimestamp, SpecSignature);
        Assert.True(Sam3Webhook.Verify(SpecSecret["whsec_".Length..], headers, SpecBody, Sam3Webhook.DefaultTolerance, AtSpecTime));
        Assert.Throws<ArgumentException>(() => Sam3Webhook.Verify("whsec_not base64!", headers, SpecBody));
        Assert.Throws<ArgumentException>(() => Sam3Webhook.Verify("", headers, SpecBody));
    }
}
