using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.LoadTest;
using Sam3Serve.Server;
using SkiaSharp;

// Usage: dotnet run -c Release --project benchmarks/Sam3Serve.LoadTest -- [--image PATH] [--requests N] [--concurrency C]
// Starts the real service in-process on loopback with an instant engine, sends N v1 requests with a
// ~1-megapixel JPEG, and reports the server's time outside the engine (client latency minus x-inference-time).
var imagePath = Arg("--image", FindDefaultImage());
var requests = int.Parse(Arg("--requests", "200"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(Arg("--concurrency", "1"), CultureInfo.InvariantCulture);
var mode = Arg("--api", "v1");

var jpeg = ToOneMegapixelJpeg(File.ReadAllBytes(imagePath), out var width, out var height);
var dataDir = Path.Combine(Path.GetTempPath(), "sam3serve-load-" + Guid.NewGuid().ToString("N"));
var options = new ServerOptions { Urls = "http://127.0.0.1:0", DataDir = dataDir, Workers = Environment.ProcessorCount };
var app = Sam3ServerHost.Build(options, s => s.AddSingleton<ISegmentationEngine, InstantEngine>(), logFormat: "simple");
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
var (_, key) = await app.Services.GetRequiredService<IAccountStore>().CreateKeyAsync("load", null, null, CancellationToken.None);

using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
client.DefaultRequestHeaders.Add("x-api-key", key);
var body = new { image = Convert.ToBase64String(jpeg), text_prompt = "object" };

Console.WriteLine($"image {width}x{height} JPEG, {jpeg.Length} bytes ({jpeg.Length * 4 / 3} base64); {requests} requests, concurrency {concurrency}, {Environment.ProcessorCount} cores");
for (var i = 0; i < 20; i++)
{
    await SendAsync();
}
var overheads = new List<double>();
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
overheads.Sort();
Console.WriteLine($"server time outside the engine per request: median {Percentile(0.5):F1} ms, p90 {Percentile(0.9):F1} ms, p99 {Percentile(0.99):F1} ms, max {overheads[^1] * 1000:F1} ms");
Console.WriteLine($"throughput {requests / wall.Elapsed.TotalSeconds:F1} requests/s");
// Where the server's time went, from its own Prometheus histograms (mean over warm-up and measured requests).
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
await app.StopAsync();
Directory.Delete(dataDir, recursive: true);
return 0;

async Task<double> SendAsync()
{
    var clock = Stopwatch.StartNew();
    using var response = await client.PostAsJsonAsync($"/{mode}/sam3-image", body);
    var bytes = await response.Content.ReadAsByteArrayAsync();
    clock.Stop();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
    }
    var inference = response.Headers.TryGetValues("x-inference-time", out var v) ? double.Parse(v.First(), CultureInfo.InvariantCulture) : 0;
    return clock.Elapsed.TotalSeconds - inference;
}

double Percentile(double p) => overheads[Math.Min(overheads.Count - 1, (int)Math.Ceiling(p * overheads.Count) - 1)] * 1000;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static string FindDefaultImage()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "shared", "testdata", "images", "truck.jpg");
        if (File.Exists(candidate)) return candidate;
    }
    return Path.Combine("..", "shared", "testdata", "images", "truck.jpg");
}

static byte[] ToOneMegapixelJpeg(byte[] source, out int width, out int height)
{
    using var original = SKBitmap.Decode(source);
    var scale = Math.Sqrt(1_000_000.0 / (original.Width * original.Height));
    width = (int)Math.Round(original.Width * scale);
    height = (int)Math.Round(original.Height * scale);
    using var resized = original.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKFilterMode.Linear));
    using var data = resized.Encode(SKEncodedImageFormat.Jpeg, 90);
    return data.ToArray();
}
