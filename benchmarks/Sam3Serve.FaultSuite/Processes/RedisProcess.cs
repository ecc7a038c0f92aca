using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Sam3Serve.FaultSuite.Processes;

/// <summary>
/// A redis-server of the suite's own (loopback, appendonly with fsync on every write, data in a folder
/// that survives restarts), killed with SIGKILL and started again on demand.
/// </summary>
public sealed class RedisProcess : IDisposable
{
    private readonly string _dir;
    private Process? _process;

    private RedisProcess(string binary, string dir, int port)
    {
        Binary = binary;
        _dir = dir;
        Port = port;
    }

    /// <summary>The redis-server binary.</summary>
    public string Binary { get; }

    /// <summary>Its port.</summary>
    public int Port { get; }

    /// <summary>The connection string for --redis.</summary>
    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>redis-server on PATH, or null.</summary>
    public static string? FindBinary() => (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "redis-server"))
        .FirstOrDefault(File.Exists);

    /// <summary>Starts a server on a free port with its data in <paramref name="dir"/>.</summary>
    public static async Task<RedisProcess> StartAsync(string binary, string dir)
    {
        Directory.CreateDirectory(dir);
        var redis = new RedisProcess(binary, dir, ServerProcess.FreePort());
        await redis.StartAsync();
        return redis;
    }

    /// <summary>Starts (again) and waits for PONG.</summary>
    public async Task StartAsync()
    {
        var info = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _dir,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", Path.Combine(_dir, "redis.log"),
        })
        {
            info.ArgumentList.Add(arg);
        }
        _process?.Dispose();
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await PingAsync())
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"redis-server on {Endpoint} did not answer; see {_dir}/redis.log");
    }

    /// <summary>SIGKILL.</summary>
    public void Kill9()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Kill9();
        _process?.Dispose();
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            using var timeout = new CancellationTokenSource(1000);
            var n = await stream.ReadAsync(buffer, timeout.Token);
            // "-LOADING" while the AOF is replayed after a restart.
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
