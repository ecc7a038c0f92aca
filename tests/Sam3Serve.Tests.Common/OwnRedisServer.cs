using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Xunit;

namespace Sam3Serve.Tests.Common;

/// <summary>
/// A redis-server process of the test's own (appendonly, on a free loopback port, data in a temp dir) that
/// the test may shut down and start again. Skips when the redis-server binary is not on PATH.
/// </summary>
public sealed class OwnRedisServer : IDisposable
{
    private readonly TempDir _dir = new("sam3serve-redis");
    private readonly string _binary;
    private Process? _process;

    private OwnRedisServer(string binary)
    {
        _binary = binary;
        Port = FreePort();
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<OwnRedisServer> StartOrSkipAsync()
    {
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
        if (binary is null)
        {
            Assert.Skip("redis-server is not on PATH: this test runs a server of its own");
        }
        var server = new OwnRedisServer(binary);
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", _dir.Path, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--logfile", Path.Combine(_dir.Path, "redis.log"),
        })
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            using var probe = await TryConnectAsync(Endpoint);
            if (probe is not null)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"redis-server on {Endpoint} did not answer; see {_dir.Path}/redis.log");
    }

    /// <summary>SHUTDOWN (which writes the AOF out), then waits for the process to end.</summary>
    public async Task ShutdownAsync()
    {
        using (var admin = await TryConnectAsync(Endpoint, allowAdmin: true)
            ?? throw new InvalidOperationException("the server to shut down does not answer"))
        {
            try
            {
                admin.GetServer(admin.GetEndPoints()[0]).Shutdown();
            }
            catch (RedisConnectionException)
            {
                // The server closes the connection as it goes down.
            }
        }
        await _process!.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A connection to <paramref name="endpoint"/>, or null when nothing answers within two seconds.</summary>
    public static async Task<ConnectionMultiplexer?> TryConnectAsync(string? endpoint, bool allowAdmin = false)
    {
        if (endpoint is null)
        {
            return null;
        }
        var configuration = ConfigurationOptions.Parse(endpoint);
        configuration.AbortOnConnectFail = true;
        configuration.ConnectTimeout = 2000;
        configuration.ConnectRetry = 1;
        configuration.AllowAdmin = allowAdmin;
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(configuration);
        }
        catch (RedisConnectionException)
        {
            return null;
        }
    }
}
