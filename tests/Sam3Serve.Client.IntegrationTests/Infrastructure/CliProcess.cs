using System.Diagnostics;

namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>Runs the built sam3serve program (copied beside the tests) as a child process.</summary>
public static class CliProcess
{
    private static readonly string[] KeyVariables = [Sam3ClientOptions.ApiKeyVariable, Sam3ClientOptions.SegmindApiKeyVariable];

    /// <summary>
    /// Runs <c>sam3serve args</c> to its end with <paramref name="environment"/> set and no key variables
    /// inherited from this process; returns the exit code and both outputs.
    /// </summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "sam3serve.dll");
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException("sam3serve.dll is not beside the tests", assembly);
        }
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var name in KeyVariables)
        {
            info.Environment.Remove(name);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start sam3serve");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sam3serve {string.Join(' ', args)} ran past 2 minutes; stderr: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(params string[] args) => RunAsync(null, args);
}
