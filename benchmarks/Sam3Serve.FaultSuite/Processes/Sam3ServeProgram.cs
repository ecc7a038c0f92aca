using System.Diagnostics;

namespace Sam3Serve.FaultSuite.Processes;

/// <summary>Runs the built <c>sam3serve</c> program (sam3serve.dll beside this assembly).</summary>
public static class Sam3ServeProgram
{
    /// <summary>sam3serve.dll beside this assembly (the project reference copies it).</summary>
    public static string Assembly
    {
        get
        {
            // SAM3SERVE_FAULTS_CLI runs the suite against another build (e.g. a before/after comparison).
            var path = Environment.GetEnvironmentVariable("SAM3SERVE_FAULTS_CLI") is { Length: > 0 } other
                ? other
                : Path.Combine(AppContext.BaseDirectory, "sam3serve.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("sam3serve.dll is not beside the fault suite", path);
        }
    }

    /// <summary>Starts a command with its output appended to <paramref name="logPath"/>.</summary>
    public static Process Start(string logPath, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Assembly);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start sam3serve");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var gate = new object();
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (gate)
            {
                log.WriteLine(line);
            }
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) => { lock (gate) log.Flush(); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs a command to its end; returns exit code and standard output.</summary>
    public static async Task<(int ExitCode, string StdOut)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Assembly);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start sam3serve");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        return (process.ExitCode, output + await stderr);
    }

    /// <summary>Writes the fixture bundle to <paramref name="dir"/>.</summary>
    public static async Task WriteFixtureAsync(string dir)
    {
        var (code, output) = await RunAsync("models", "fixture", "--out", dir);
        if (code != 0)
        {
            throw new InvalidOperationException("models fixture failed: " + output);
        }
    }

    /// <summary>Creates an unlimited key; returns the plain key (the command's last line).</summary>
    public static async Task<string> CreateKeyAsync(string name, params string[] storeArgs)
    {
        var (code, output) = await RunAsync(["keys", "create", "--name", name, .. storeArgs]);
        if (code != 0)
        {
            throw new InvalidOperationException("keys create failed: " + output);
        }
        return output.Trim().Split('\n')[^1].Trim();
    }
}
