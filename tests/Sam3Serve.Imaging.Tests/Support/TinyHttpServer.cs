using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sam3Serve.Imaging.Tests.Support;

/// <summary>What <see cref="TinyHttpServer"/> answers to one request.</summary>
public sealed record TinyResponse(int Status, byte[] Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>Leave out Content-Length and close the connection to end the body.</summary>
    public bool OmitContentLength { get; init; }

    /// <summary>Read the request and never answer.</summary>
    public bool Hang { get; init; }

    public static TinyResponse Ok(byte[] body) => new(200, body);

    public static TinyResponse Redirect(string location) =>
        new(302, [], new Dictionary<string, string> { ["Location"] = location });
}

/// <summary>
/// A minimal HTTP/1.1 server on a loopback TCP port: one request per connection, answered by a callback
/// taking the request path. Enough to exercise the fetcher's redirects, errors, sizes and timeouts.
/// </summary>
public sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string, TinyResponse> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    public TinyHttpServer(Func<string, TinyResponse> handler, IPAddress? address = null)
    {
        _handler = handler;
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start();
        _loop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Host => ((IPEndPoint)_listener.LocalEndpoint).Address.ToString();

    /// <summary>Requests received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public Uri Url(string path) => new($"http://{Host}:{Port}{path}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var path = await ReadRequestPathAsync(stream);
                Interlocked.Increment(ref _requests);
                var response = _handler(path);
                if (response.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                var head = new StringBuilder()
                    .Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(Reason(response.Status)).Append("\r\n")
                    .Append("Connection: close\r\n");
                if (!response.OmitContentLength)
                {
                    head.Append("Content-Length: ").Append(response.Body.Length).Append("\r\n");
                }
                foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
                {
                    head.Append(name).Append(": ").Append(value).Append("\r\n");
                }
                head.Append("\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
                await stream.WriteAsync(response.Body, _stop.Token);
                await stream.FlushAsync(_stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client hung up or the server is stopping; either way this connection is done.
            }
        }
    }

    private static async Task<string> ReadRequestPathAsync(NetworkStream stream)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length));
            if (read == 0)
            {
                throw new IOException("connection closed before the request ended");
            }
            length += read;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text.Split(' ', 3)[1];
            }
            if (length == buffer.Length)
            {
                throw new IOException("request head too long");
            }
        }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    };
}
