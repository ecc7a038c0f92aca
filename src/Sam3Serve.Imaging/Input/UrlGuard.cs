using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sam3Serve.Imaging.Input;

/// <summary>
/// The server-side request forgery guard for every URL the service calls on a client's
/// behalf (image URLs, webhooks): http(s) only; no loopback, private, link-local, multicast or
/// unspecified address unless the operator allowed the host. Two checks: <see cref="CheckOnItsFace"/>
/// at submit, for hosts that are themselves refused (an address literal in any notation, <c>localhost</c>,
/// cloud metadata names), and the connect callback of <see cref="CreateHandler"/>, which checks the
/// address actually dialled (what defeats DNS rebinding). Thread-safe.
/// </summary>
public sealed class UrlGuard
{
    // Names that stand for this machine or a cloud metadata service whatever DNS says: refused before any lookup.
    private static readonly string[] LoopbackNames = ["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"];
    private static readonly string[] MetadataNames = ["metadata.google.internal", "metadata.goog"];

    private readonly AddressPolicy _policy;

    /// <summary>A guard that lets <paramref name="allowedHosts"/> (names or addresses) through although they are private.</summary>
    public UrlGuard(IEnumerable<string> allowedHosts)
    {
        ArgumentNullException.ThrowIfNull(allowedHosts);
        _policy = new AddressPolicy(allowedHosts);
    }

    /// <summary>
    /// Throws <see cref="ImageInputException"/> (UrlRefused) when <paramref name="url"/> is refused without
    /// looking anything up: a scheme other than http(s), or a host that is a refused address written in any
    /// notation (dotted, decimal <c>2130706433</c>, octal, hex, short <c>127.1</c>, IPv6, IPv4-mapped IPv6)
    /// or a refused name (<c>localhost</c>, <c>*.localhost</c>, cloud metadata names). Host names that need
    /// DNS pass here and are checked when dialled. <paramref name="subject"/> starts the message ("image URL").
    /// </summary>
    public void CheckOnItsFace(Uri url, string subject)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            throw new ImageInputException(ImageErrorKind.Invalid, $"{subject} must be absolute");
        }
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ImageInputException(ImageErrorKind.UrlRefused, $"{subject} scheme '{url.Scheme}' is not allowed; use http or https");
        }
        var host = AddressPolicy.NormalizeHost(url.IdnHost);
        if (RefusalOf(host) is { } reason)
        {
            throw new ImageInputException(ImageErrorKind.UrlRefused, $"{subject} host '{host}' is {reason}, refused");
        }
    }

    /// <summary>
    /// Why <paramref name="host"/> (a URL's host, brackets allowed) is refused on its face, e.g. "a loopback
    /// address (127.0.0.1)"; null when it is allowed or needs DNS to tell.
    /// </summary>
    public string? RefusalOf(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        host = AddressPolicy.NormalizeHost(host);
        if (_policy.IsHostAllowed(host))
        {
            return null;
        }
        if (ParseLiteral(host) is { } address)
        {
            return _policy.IsAddressAllowed(address) || AddressPolicy.ForbiddenReason(address) is not { } why
                ? null
                : $"a {why} address ({address})";
        }
        var name = host.ToLowerInvariant();
        if (LoopbackNames.Contains(name) || name.EndsWith(".localhost", StringComparison.Ordinal))
        {
            return "a name for a loopback address";
        }
        if (MetadataNames.Contains(name))
        {
            return "a name for a cloud metadata (link-local) address";
        }
        return null;
    }

    /// <summary>
    /// An HTTP handler whose every connection goes through the guard: the host is resolved, refused addresses
    /// are dropped, and the socket connects to a remaining address exactly as checked. Refusals surface as an
    /// <see cref="HttpRequestException"/> wrapping <see cref="ImageInputException"/> (UrlRefused).
    /// </summary>
    public SocketsHttpHandler CreateHandler(TimeSpan connectTimeout, string subject) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = connectTimeout,
        ConnectCallback = (context, ct) => ConnectCheckedAsync(context, subject, ct),
    };

    /// <summary>
    /// The host as an IPv4 or IPv6 address when it is a literal in any notation that resolvers accept:
    /// besides dotted decimal, the BSD <c>inet_aton</c> forms (one to four parts, each decimal, octal with a
    /// leading 0, or hex with 0x; the last part fills the remaining bytes), so <c>2130706433</c>,
    /// <c>0x7f.1</c> and <c>017700000001</c> are all 127.0.0.1.
    /// </summary>
    internal static IPAddress? ParseLiteral(string host)
    {
        if (host.Contains(':'))
        {
            // IPv6; a zone id ("%eth0") does not change which address it is.
            var percent = host.IndexOf('%');
            return IPAddress.TryParse(percent < 0 ? host : host[..percent], out var v6) ? v6 : null;
        }
        var parts = host.Split('.');
        if (parts.Length is 0 or > 4)
        {
            return null;
        }
        var values = new ulong[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryParsePart(parts[i], out values[i]))
            {
                return null;
            }
        }
        ulong result = 0;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (values[i] > 0xFF)
            {
                return null;
            }
            result |= values[i] << (8 * (3 - i));
        }
        var lastBits = 8 * (4 - (parts.Length - 1));
        var last = values[^1];
        if (lastBits < 64 && last >= 1UL << lastBits)
        {
            return null;
        }
        result |= last;
        Span<byte> bytes = [(byte)(result >> 24), (byte)(result >> 16), (byte)(result >> 8), (byte)result];
        return new IPAddress(bytes);
    }

    private static bool TryParsePart(string part, out ulong value)
    {
        value = 0;
        if (part.Length == 0 || part.Length > 34)
        {
            return false;
        }
        if (part.Length > 2 && part[0] == '0' && (part[1] is 'x' or 'X'))
        {
            return ulong.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        if (part.Length > 1 && part[0] == '0')
        {
            foreach (var c in part)
            {
                if (c is < '0' or > '7')
                {
                    return false;
                }
                if (value > ulong.MaxValue >> 3)
                {
                    return false;
                }
                value = (value << 3) + (uint)(c - '0');
            }
            return true;
        }
        foreach (var c in part)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// Resolves the host, drops every address the guard refuses, and connects to a remaining one. Running
    /// the check here, on the addresses actually dialled, is what defeats DNS rebinding.
    /// </summary>
    private async ValueTask<Stream> ConnectCheckedAsync(SocketsHttpConnectionContext context, string subject, CancellationToken ct)
    {
        var host = AddressPolicy.NormalizeHost(context.DnsEndPoint.Host);
        var port = context.DnsEndPoint.Port;
        var hostAllowed = _policy.IsHostAllowed(host);

        IPAddress[] addresses;
        if (ParseLiteral(host) is { } literal)
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new ImageInputException(ImageErrorKind.UpstreamError, $"{subject} host '{host}' could not be resolved", e);
            }
        }

        var permitted = new List<IPAddress>(addresses.Length);
        string? refusal = null;
        foreach (var address in addresses)
        {
            var reason = hostAllowed || _policy.IsAddressAllowed(address) ? null : AddressPolicy.ForbiddenReason(address);
            if (reason is null)
            {
                permitted.Add(address);
            }
            else
            {
                refusal ??= $"{subject} resolves to a {reason} address ({address}), refused";
            }
        }
        if (permitted.Count == 0)
        {
            throw new ImageInputException(ImageErrorKind.UrlRefused, refusal ?? $"{subject} host '{host}' has no address");
        }

        SocketException? last = null;
        foreach (var address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }
}
