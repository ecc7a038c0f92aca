using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.LoadTest;
using Sam3Serve.Server;
using SkiaSharp;

// Usage: dotnet run -c Release --project benchmarks/Sam3Serve.LoadTest -- [--image PATH] [--size 1280x720] [--requests N]
//        [--concurrency C] [--api v1|v2] [--url http://host:port --key KEY] [--prompt TEXT]
// Without --url: starts the real service in-process on loopback with an instant engine, sends N requests
// with the image re-encoded as a JPEG of --size (default 1280x720; ../shared's truck.jpg, or a generated
// photo-like picture in a clone without ../shared), and reports the server's time outside the engine (client latency minus
// x-inference-time). With --url: loads a running service (any engine) and reports end-to-end latency;
// for v2 that is submit to COMPLETED, observed by polling the status URL every 10 ms.
var imagePath = Arg("--image", FindDefaultImage() ?? "");
var size = Arg("--size", "1280x720").Split('x');
var requests = int.Parse(Arg("--requests", "200"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(Arg("--concurrency", "1"), CultureInfo.InvariantCulture);
var mode = Arg("--api", "v1");

var externalUrl = Arg("--url", "");
var prompt = Arg("--prompt", "object");

int width = int.Parse(size[0], CultureInfo.InvariantCulture), height = int.Parse(size[1], CultureInfo.InvariantCulture);
var jpeg = ToJpeg(imagePath.Length > 0 ? File.ReadAllBytes(imagePath) : null, width, height);
var dataDir = Path.Combine(Path.GetTempPath(), "sam3serve-load-" + Guid.NewGuid().ToString("N"));
WebApplication? app = null;
string address, key;
if (externalUrl.Length > 0)
{
    address = externalUrl;
    key = Arg("--key", Environment.GetEnvironmentVariable("SAM3SERVE_API_KEY") ?? "");
}
else
{
    var options = new ServerOptions { Urls = "http://127.0.0.1:0", DataDir = dataDir, Workers = Environment.ProcessorCount };
    app = Sam3ServerHost.Build(options, s => s.AddSingleton<ISegmentationEngine, InstantEngine>(), logFormat: "simple");
    await app.StartAsync();
    address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    (_, key) = await app.Services.GetRequiredService<IAccountStore>().CreateKeyAsync("load", null, null, CancellationToken.None);
}

// Several API processes (--url a,b) are loaded round-robin.
var clients = address.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(a =>
{
    var c = new HttpClient { BaseAddress = new Uri(a), Timeout = TimeSpan.FromMinutes(2) };
    c.DefaultRequestHeaders.Add("x-api-key", key);
    return c;
}).ToArray();
var turn = 0;
HttpClient NextClient() => clients[(int)((uint)Interlocked.Increment(ref turn) % clients.Length)];
var client = clients[0];
// Serialized once: the client's own JSON work must not count as server time.
var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { image = Convert.ToBase64String(jpeg), text_prompt = prompt });
HttpContent Body() => new ByteArrayContent(body) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") } };

Console.WriteLine($"image {width}x{height} JPEG, {jpeg.Length} bytes ({jpeg.Length * 4 / 3} base64); {requests} requests, concurrency {concurrency}, {Environment.ProcessorCount} cores");
for (var i = 0; i < 20; i++)
{
    await SendAsync();
}
var overheads = new List<double>();
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var (gen2Before, pauseBefore) = (GC.CollectionCount(2), GC.GetTotalPauseDuration());
var wall = Stopwatch.StartNew();
var next = 0;
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    while (Interlocked.Increment(ref next) <= requests)
    {
        var seconds = await SendAsync();
        lock (overheads)
        {
            overheads.Add(seconds);
        }
    }
}));
wall.Stop();
var cpuPerRequest = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / requests;
overheads.Sort();
Console.WriteLine(app is null
    ? $"end-to-end latency ({mode}): median {Percentile(0.5):F1} ms, p90 {Percentile(0.9):F1} ms, p99 {Percentile(0.99):F1} ms, max {overheads[^1] * 1000:F1} ms"
    : $"server time outside the engine per request: median {Percentile(0.5):F1} ms, p90 {Percentile(0.9):F1} ms, p99 {Percentile(0.99):F1} ms, max {overheads[^1] * 1000:F1} ms");
Console.WriteLine($"throughput {requests / wall.Elapsed.TotalSeconds:F1} requests/s");
// CPU time is far less sensitive than latency to other processes on a busy machine (in-process: client included).
if (app is not null)
{
    Console.WriteLine($"CPU time of this process per request (server and client): {cpuPerRequest:F1} ms; " +
        $"{GC.CollectionCount(2) - gen2Before} gen2 GCs, GC pauses {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds / requests:F2} ms per request");
}
// Where the server's time went, from its own Prometheus histograms (mean over warm-up and measured requests).
if (app is null)
{
    return 0;
}
var metricsText = await client.GetStringAsync("/metrics");
var sums = new Dictionary<string, double>();
var counts = new Dictionary<string, double>();
foreach (var line in metricsText.Split('\n'))
{
    var match = System.Text.RegularExpressions.Regex.Match(line, @"^sam3serve_(stage|request)_duration_seconds_(sum|count)\{(?:stage|endpoint)=""([^""]+)""\} (\S+)$");
    if (!match.Success) continue;
    var target = match.Groups[2].Value == "sum" ? sums : counts;
    target[match.Groups[3].Value] = double.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture);
}
foreach (var (stage, sum) in sums.Where(s => counts.GetValueOrDefault(s.Key) > 0).OrderByDescending(s => s.Value / counts[s.Key]))
{
    Console.WriteLine($"  {stage,-28} mean {sum / counts[stage] * 1000,8:F2} ms");
}
if (app is not null)
{
    await app.StopAsync();
    Directory.Delete(dataDir, recursive: true);
}
return 0;

async Task<double> SendAsync()
{
    if (mode == "v2")
    {
        return await SubmitAndWaitAsync();
    }
    var clock = Stopwatch.StartNew();
    using var response = await NextClient().PostAsync($"/{mode}/sam3-image", Body());
    var bytes = await response.Content.ReadAsByteArrayAsync();
    clock.Stop();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
    }
    var inference = response.Headers.TryGetValues("x-inference-time", out var v) ? double.Parse(v.First(), CultureInfo.InvariantCulture) : 0;
    return clock.Elapsed.TotalSeconds - inference;
}

async Task<double> SubmitAndWaitAsync()
{
    var clock = Stopwatch.StartNew();
    var api = NextClient();
    using var submit = await api.PostAsync("/v2/sam3-image", Body());
    var submitted = System.Text.Json.Nodes.JsonNode.Parse(await submit.Content.ReadAsStringAsync())!;
    if (!submit.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{(int)submit.StatusCode}: {submitted.ToJsonString()}");
    }
    var statusUrl = submitted["status_url"]!.GetValue<string>();
    while (true)
    {
        using var status = await api.GetAsync(statusUrl);
        var state = System.Text.Json.Nodes.JsonNode.Parse(await status.Content.ReadAsStringAsync())!["status"]!.GetValue<string>();
        if (state is "COMPLETED")
        {
            return clock.Elapsed.TotalSeconds;
        }
        if (state is "FAILED")
        {
            throw new InvalidOperationException($"request failed: {statusUrl}");
        }
        await Task.Delay(10);
    }
}

double Percentile(double p) => overheads[Math.Min(overheads.Count - 1, (int)Math.Ceiling(p * overheads.Count) - 1)] * 1000;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static string? FindDefaultImage()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "shared", "testdata", "images", "truck.jpg");
        if (File.Exists(candidate)) return candidate;
    }
    return null;
}

// The photo resized to width x height, or (no photo) smooth gradients with grain, which compress about as
// a photo does; JPEG quality 90 either way.
static byte[] ToJpeg(byte[]? source, int width, int height)
{
    using var original = source is null ? Generated(width, height) : SKBitmap.Decode(source);
    using var resized = original.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKFilterMode.Linear));
    using var data = resized.Encode(SKEncodedImageFormat.Jpeg, 90);
    return data.ToArray();
}

static SKBitmap Generated(int width, int height)
{
    var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
    var random = new Random(7);
    var pixels = bitmap.GetPixelSpan();
    for (var y = 0; y < height; y++)
    {
        for (var x = 0; x < width; x++)
        {
            var i = ((y * width) + x) * 4;
            var grain = random.Next(-12, 13);
            pixels[i] = (byte)Math.Clamp((255 * x / width) + grain, 0, 255);
            pixels[i + 1] = (byte)Math.Clamp((255 * y / height) + grain, 0, 255);
            pixels[i + 2] = (byte)Math.Clamp(128 + (int)(80 * Math.Sin((x + y) / 60.0)) + grain, 0, 255);
            pixels[i + 3] = 255;
        }
    }
    return bitmap;
}
