using System.Security.Cryptography;
using Sam3Serve.FaultSuite.Hostile;
using Sam3Serve.FaultSuite.Processes;
using SkiaSharp;

namespace Sam3Serve.FaultSuite;

/// <summary>
/// A work folder with the fixture bundle, a data dir with an unlimited key, and the webhook secret; makes
/// the servers of the suite. Deleted on dispose.
/// </summary>
public sealed class SuiteSetup : IDisposable
{
    private SuiteSetup(string root, string key, bool webhooks)
    {
        Root = root;
        Key = key;
        WebhooksSupported = webhooks;
    }

    /// <summary>Keep the work folder (logs) after the run.</summary>
    public bool Keep { get; set; }

    /// <summary>The work folder.</summary>
    public string Root { get; }

    /// <summary>The fixture bundle.</summary>
    public string ModelDir => Path.Combine(Root, "model");

    /// <summary>The SQLite data dir.</summary>
    public string DataDir => Path.Combine(Root, "data");

    /// <summary>An unlimited key in <see cref="DataDir"/> (the Redis store gets its own, see <see cref="RedisServerAsync"/>).</summary>
    public string Key { get; private set; }

    /// <summary>Whether this build's serve has --webhook-secret (issue 11 part 1).</summary>
    public bool WebhooksSupported { get; }

    /// <summary>The secret given to servers with webhook support.</summary>
    public string WebhookSecret { get; } = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Writes the fixture bundle and creates the key.</summary>
    public static async Task<SuiteSetup> CreateAsync(string? root = null)
    {
        root ??= Path.Combine(Path.GetTempPath(), "sam3serve-faults-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        await Sam3ServeProgram.WriteFixtureAsync(Path.Combine(root, "model"));
        var key = await Sam3ServeProgram.CreateKeyAsync("faults", "--data-dir", Path.Combine(root, "data"));
        var (_, help) = await Sam3ServeProgram.RunAsync("serve", "--help");
        return new SuiteSetup(root, key, help.Contains("--webhook-secret", StringComparison.Ordinal));
    }

    /// <summary>A server on the SQLite store in <see cref="DataDir"/>, on a free port.</summary>
    public ServerProcess SqliteServer(string name, params string[] extra) =>
        new(ServerProcess.FreePort(), Path.Combine(Root, name + ".log"), [.. CommonArgs(), "--data-dir", DataDir, .. extra]);

    /// <summary>Extra serve arguments that let the server reach the loopback webhook receiver.</summary>
    public static string[] AllowLoopback => ["--allow-image-host", "127.0.0.1"];

    /// <summary>A server on the Redis store at <paramref name="endpoint"/>; <see cref="Key"/> becomes a key in that store.</summary>
    public async Task<ServerProcess> RedisServerAsync(string name, string endpoint, params string[] extra)
    {
        Key = await Sam3ServeProgram.CreateKeyAsync("faults", "--store", "redis", "--redis", endpoint);
        return new ServerProcess(ServerProcess.FreePort(), Path.Combine(Root, name + ".log"),
            [.. CommonArgs(), .. AllowLoopback, "--data-dir", Path.Combine(Root, name + "-data"), "--store", "redis", "--redis", endpoint, "--workers", "2", .. extra]);
    }

    private string[] CommonArgs() =>
        ["--model-dir", ModelDir, "--offline", .. WebhooksSupported ? new[] { "--webhook-secret", WebhookSecret } : []];

    /// <summary>How many "Unexpected failure" (500) lines the named server's log holds.</summary>
    public int UnexpectedFailuresLogged(string name)
    {
        var log = Path.Combine(Root, name + ".log");
        return File.Exists(log) ? File.ReadLines(log).Count(l => l.Contains("Unexpected failure", StringComparison.Ordinal)) : 0;
    }

    /// <summary>Resident memory after <paramref name="requests"/> valid requests and a short pause.</summary>
    public static async Task<long> SteadyResidentAsync(ServerProcess server, string key, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            await HostileRun.ValidRequestSucceedsAsync(server.Port, key);
        }
        await Task.Delay(10_000);
        return server.ResidentBytes();
    }

    /// <summary>The load image: 640×480 JPEG, a red square on a grey-blue gradient (the fixture finds the square).</summary>
    public static byte[] LoadImage()
    {
        using var bitmap = new SKBitmap(640, 480, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(640, 480), [new SKColor(90, 100, 120), new SKColor(160, 170, 200)], SKShaderTileMode.Clamp);
            using var background = new SKPaint { Shader = shader };
            canvas.DrawRect(0, 0, 640, 480, background);
            using var red = new SKPaint { Color = SKColors.Red };
            canvas.DrawRect(200, 150, 160, 120, red);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Keep)
        {
            return;
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still hold a file for a moment; the temp folder is cleaned by the system.
        }
    }
}
