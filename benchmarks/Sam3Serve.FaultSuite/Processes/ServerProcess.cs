using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sam3Serve.FaultSuite.Processes;

/// <summary>
/// The real <c>sam3serve serve</c> program (the built Cli beside this assembly) as a child process on a
/// loopback port, its output appended to a log file; killed with SIGKILL and started again on demand.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly string[] _args;
    private readonly string _logPath;
    private Process? _process;

    /// <summary>Prepares a server on <paramref name="port"/> with the given extra serve arguments.</summary>
    public ServerProcess(int port, string logPath, params string[] serveArgs)
    {
        Port = port;
        _logPath = logPath;
        _args = ["serve", "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", .. serveArgs];
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>Its base address.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The exit code of the last run, when it ended by itself.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>The process id (for /proc readings).</summary>
    public int Pid => _process?.Id ?? 0;

    /// <summary>Starts it and waits until /health/ready answers 200.</summary>
    public async Task StartAsync(TimeSpan readyWithin)
    {
        _process?.Dispose();
        _process = Sam3ServeProgram.Start(_logPath, _args);
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + readyWithin;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"sam3serve exited with {_process.ExitCode} while starting; see {_logPath}");
            }
            try
            {
                if ((await probe.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"sam3serve was not ready within {readyWithin}; see {_logPath}");
    }

    /// <summary>SIGKILL: no draining, no clean-up.</summary>
    public void Kill9()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Resident memory in bytes (VmRSS), or 0 when not running.</summary>
    public long ResidentBytes() => IsRunning ? Proc.ResidentBytes(_process!.Id) : 0;

    /// <inheritdoc />
    public void Dispose()
    {
        Kill9();
        _process?.Dispose();
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
