using System.Net;
using System.Net.Sockets;

namespace Sam3Serve.Imaging.Input;

/// <summary>
/// The server-side request forgery guard for image URLs: which addresses an image URL may reach, and
/// which host names or addresses the operator has allowed although they are private.
/// </summary>
internal sealed class AddressPolicy
{
    private readonly HashSet<string> _allowedNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<IPAddress> _allowedAddresses = [];

    public AddressPolicy(IEnumerable<string> allowedHosts)
    {
        foreach (var raw in allowedHosts)
        {
            var host = NormalizeHost(raw);
            if (host.Length == 0)
            {
                continue;
            }
            if (IPAddress.TryParse(host, out var address))
            {
                _allowedAddresses.Add(Canonical(address));
            }
            else
            {
                _allowedNames.Add(host);
            }
        }
    }

    /// <summary>True when the operator allowed this host name or literal address.</summary>
    public bool IsHostAllowed(string host)
    {
        host = NormalizeHost(host);
        return _allowedNames.Contains(host)
            || (IPAddress.TryParse(host, out var address) && _allowedAddresses.Contains(Canonical(address)));
    }

    /// <summary>True when this resolved address is on the allow-list.</summary>
    public bool IsAddressAllowed(IPAddress address) => _allowedAddresses.Contains(Canonical(address));

    /// <summary>Why an address may not be reached ("private", "loopback", ...), or null when it is public.</summary>
    public static string? ForbiddenReason(IPAddress address)
    {
        address = Canonical(address);
        return address.AddressFamily == AddressFamily.InterNetwork ? ClassifyV4(address) : ClassifyV6(address);
    }

    /// <summary>Strips brackets of IPv6 literals and a trailing root dot, so "[::1]" and "::1" compare equal.</summary>
    public static string NormalizeHost(string host)
    {
        host = host.Trim();
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        return host.TrimEnd('.');
    }

    /// <summary>IPv4-mapped and IPv4-compatible IPv6 addresses are judged as the IPv4 address they carry.</summary>
    private static IPAddress Canonical(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        // ::a.b.c.d (deprecated IPv4-compatible form), except :: and ::1 which are IPv6's own.
        if (b[..12].IndexOfAnyExcept((byte)0) < 0 && (b[12] | b[13]) != 0)
        {
            return new IPAddress(b[12..]);
        }
        return address;
    }

    private static string? ClassifyV4(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return b[0] switch
        {
            0 => "unspecified",
            10 => "private",
            127 => "loopback",
            100 when (b[1] & 0xC0) == 64 => "shared (carrier-grade NAT)",
            169 when b[1] == 254 => "link-local",
            172 when (b[1] & 0xF0) == 16 => "private",
            192 when b[1] == 168 => "private",
            192 when b[1] == 0 && b[2] == 0 => "reserved",
            198 when (b[1] & 0xFE) == 18 => "reserved",
            >= 224 and <= 239 => "multicast",
            >= 240 => "reserved",
            _ => null,
        };
    }

    private static string? ClassifyV6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6Any))
        {
            return "unspecified";
        }
        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "loopback";
        }
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if (b[0] == 0xFF)
        {
            return "multicast";
        }
        if ((b[0] & 0xFE) == 0xFC)
        {
            return "private";
        }
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)
        {
            return "link-local";
        }
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0)
        {
            return "private";
        }
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they embed.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].IndexOfAnyExcept((byte)0) < 0)
        {
            return ClassifyV4(new IPAddress(b[12..]));
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return ClassifyV4(new IPAddress(b[2..6]));
        }
        return null;
    }
}
