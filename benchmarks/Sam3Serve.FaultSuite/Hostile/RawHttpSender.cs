using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Sam3Serve.FaultSuite.Hostile;

/// <summary>What came back for one hostile case.</summary>
/// <param name="Status">The HTTP status, or null when the connection ended without an answer.</param>
/// <param name="Note">Why there was no status (closed by us, closed by the server, timed out).</param>
public sealed record HostileOutcome(int? Status, string Note);

/// <summary>Sends raw request bytes over a fresh loopback TCP connection and reads the status line.</summary>
public static class RawHttpSender
{
    /// <summary>How long a stalled case keeps its connection open before giving up.</summary>
    public static TimeSpan StallFor { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Pause between the pieces of a slow sender.</summary>
    public static TimeSpan SlowPause { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Sends <paramref name="hostile"/> to <paramref name="port"/> as its delivery says.</summary>
    public static async Task<HostileOutcome> SendAsync(int port, HostileCase hostile, TimeSpan answerTimeout)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        try
        {
            switch (hostile.Delivery)
            {
                case Delivery.Whole:
                    await stream.WriteAsync(hostile.Bytes);
                    break;
                case Delivery.StopMidStream:
                    await stream.WriteAsync(hostile.Bytes.AsMemory(0, hostile.CutAt));
                    client.Client.Shutdown(SocketShutdown.Both);
                    return new HostileOutcome(null, "closed by the client mid-stream");
                case Delivery.StallMidStream:
                    await stream.WriteAsync(hostile.Bytes.AsMemory(0, hostile.CutAt));
                    // Whatever the server says while we stall (a 400 for a timed-out body, or nothing) is read below.
                    var stalled = await ReadStatusAsync(stream, StallFor);
                    return stalled ?? new HostileOutcome(null, "stalled; closed by the client");
                case Delivery.Slow:
                    for (var offset = 0; offset < hostile.Bytes.Length; offset += 16)
                    {
                        await stream.WriteAsync(hostile.Bytes.AsMemory(offset, Math.Min(16, hostile.Bytes.Length - offset)));
                        await Task.Delay(SlowPause);
                    }
                    break;
            }
        }
        catch (IOException e)
        {
            // The server may refuse early (413 on the Content-Length, 431 on the head) and close while we still write.
            var early = await ReadStatusAsync(stream, TimeSpan.FromSeconds(1));
            return early ?? new HostileOutcome(null, "server closed while sending: " + e.InnerException?.Message);
        }
        return await ReadStatusAsync(stream, answerTimeout) ?? new HostileOutcome(null, "no answer");
    }

    private static async Task<HostileOutcome?> ReadStatusAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[64];
        var read = 0;
        try
        {
            while (read < 12)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), cancel.Token);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (IOException)
        {
            // Reset by the server.
        }
        if (read < 12)
        {
            return read == 0 ? null : new HostileOutcome(null, "partial status line");
        }
        var line = Encoding.ASCII.GetString(buffer, 0, read);
        return line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal)
            && int.TryParse(line.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            ? new HostileOutcome(status, "")
            : new HostileOutcome(null, "not an HTTP answer: " + line);
    }
}
