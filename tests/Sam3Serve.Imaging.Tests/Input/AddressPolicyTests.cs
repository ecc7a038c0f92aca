using System.Net;
using Sam3Serve.Imaging.Input;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Input;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("10.0.0.5", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("100.64.0.1", "shared (carrier-grade NAT)")]
    [InlineData("100.127.255.255", "shared (carrier-grade NAT)")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("::1", "loopback")]
    [InlineData("::", "unspecified")]
    [InlineData("fc00::1", "private")]
    [InlineData("fd12:3456::1", "private")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:10.1.2.3", "private")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("::127.0.0.1", "loopback")]
    public void ForbiddenReason_NonPublicAddress_NamesTheClass(string address, string reason)
    {
        Assert.Equal(reason, AddressPolicy.ForbiddenReason(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.1.1")]
    [InlineData("2606:4700::6810:84e5")]
    [InlineData("::ffff:8.8.8.8")]
    public void ForbiddenReason_PublicAddress_IsNull(string address)
    {
        Assert.Null(AddressPolicy.ForbiddenReason(IPAddress.Parse(address)));
    }

    [Fact]
    public void IsHostAllowed_NamesAndLiterals_MatchNormalised()
    {
        var policy = new AddressPolicy(["Images.Internal.", "10.0.0.5", "[::1]"]);

        Assert.True(policy.IsHostAllowed("images.internal"));
        Assert.True(policy.IsHostAllowed("10.0.0.5"));
        Assert.True(policy.IsHostAllowed("::1"));
        Assert.True(policy.IsAddressAllowed(IPAddress.Parse("::ffff:10.0.0.5")));
        Assert.False(policy.IsHostAllowed("other.internal"));
        Assert.False(policy.IsAddressAllowed(IPAddress.Parse("10.0.0.6")));
    }
}
