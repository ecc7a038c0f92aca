using System.Net;
using Sam3Serve.Imaging.Input;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Input;

public sealed class UrlGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("2130706433", "127.0.0.1")]
    [InlineData("017700000001", "127.0.0.1")]
    [InlineData("0x7f000001", "127.0.0.1")]
    [InlineData("0x7f.1", "127.0.0.1")]
    [InlineData("0x7F.0.0.1", "127.0.0.1")]
    [InlineData("0177.0.0.1", "127.0.0.1")]
    [InlineData("127.1", "127.0.0.1")]
    [InlineData("127.0.1", "127.0.0.1")]
    [InlineData("10.65535", "10.0.255.255")]
    [InlineData("0", "0.0.0.0")]
    [InlineData("2852039166", "169.254.169.254")]
    [InlineData("::1", "::1")]
    [InlineData("::ffff:127.0.0.1", "::ffff:127.0.0.1")]
    [InlineData("fe80::1%eth0", "fe80::1")]
    public void ParseLiteral_EveryResolverNotation_GivesTheAddress(string host, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), UrlGuard.ParseLiteral(host));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.1.1.1")]
    [InlineData("08.1.1.1")]
    [InlineData("0x.1.1.1")]
    [InlineData("4294967296")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.3.")]
    [InlineData("1e3")]
    public void ParseLiteral_NotAnAddress_IsNull(string host)
    {
        Assert.Null(UrlGuard.ParseLiteral(host));
    }

    public static TheoryData<string> RefusedOnTheirFace => new()
    {
        "http://127.0.0.1/a.png",
        "http://2130706433/a.png",
        "http://0x7f.1/a.png",
        "http://0x7f000001/a.png",
        "http://017700000001/a.png",
        "http://0177.0.0.1/a.png",
        "http://127.1/a.png",
        "http://[::1]/a.png",
        "http://[::ffff:127.0.0.1]/a.png",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data",
        "http://[0:0:0:0:0:ffff:7f00:1]/a.png",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[fd00:ec2::254]/latest/meta-data",
        "http://[fe80::1]/a.png",
        "http://169.254.169.254/latest/meta-data",
        "http://169.254.1.1/a.png",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.google.internal./computeMetadata/v1/",
        "http://localhost/a.png",
        "http://LOCALHOST./a.png",
        "http://api.localhost:9000/a.png",
        "http://10.0.0.1/a.png",
        "http://192.168.1.20/a.png",
        "http://0.0.0.0/a.png",
        "http://0/a.png",
        "https://224.0.0.1/a.png",
        "ftp://example.com/a.png",
    };

    [Theory]
    [MemberData(nameof(RefusedOnTheirFace))]
    public void CheckOnItsFace_RefusedHostOrScheme_ThrowsUrlRefused(string url)
    {
        var guard = new UrlGuard([]);
        var e = Assert.Throws<ImageInputException>(() => guard.CheckOnItsFace(new Uri(url), "webhook URL"));
        Assert.Equal(ImageErrorKind.UrlRefused, e.Kind);
        Assert.StartsWith("webhook URL", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://example.com/a.png")]
    [InlineData("https://images.example.org:8443/a.png")]
    [InlineData("http://8.8.8.8/a.png")]
    [InlineData("http://134744072/a.png")]
    [InlineData("http://[2606:4700::6810:84e5]/a.png")]
    [InlineData("http://internal-host/a.png")]
    public void CheckOnItsFace_PublicAddressOrNameNeedingDns_Passes(string url)
    {
        new UrlGuard([]).CheckOnItsFace(new Uri(url), "image URL");
    }

    [Theory]
    [InlineData("127.0.0.1", "http://2130706433:8080/a.png")]
    [InlineData("127.0.0.1", "http://127.1/a.png")]
    [InlineData("localhost", "http://localhost/a.png")]
    [InlineData("::1", "http://[::1]/a.png")]
    public void CheckOnItsFace_AllowListedHost_Passes(string allowed, string url)
    {
        new UrlGuard([allowed]).CheckOnItsFace(new Uri(url), "image URL");
    }

    [Fact]
    public async Task Handler_RefusedHost_FailsBeforeConnecting()
    {
        var guard = new UrlGuard([]);
        using var client = new HttpClient(guard.CreateHandler(TimeSpan.FromSeconds(2), "webhook URL"));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://localhost:1/x"), TestContext.Current.CancellationToken));
        var refusal = Assert.IsType<ImageInputException>(e.InnerException);
        Assert.Equal(ImageErrorKind.UrlRefused, refusal.Kind);
    }
}
