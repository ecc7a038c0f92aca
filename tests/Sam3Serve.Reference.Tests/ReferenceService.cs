using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Imaging.Rendering;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Server;
using Sam3Serve.Tests.Common;
using Xunit;

[assembly: AssemblyFixture(typeof(Sam3Serve.Reference.Tests.ReferenceService))]

namespace Sam3Serve.Reference.Tests;

/// <summary>
/// The engine on the reference bundle, loaded once for the whole run, and the HTTP service around that same engine.
/// Without ../shared/reference nothing loads and <see cref="Require"/> skips the calling test.
/// </summary>
public sealed class ReferenceService : IAsyncLifetime
{
    private readonly TempDir _root = new("sam3serve-reference");
    private WebApplication? _app;
    private Sam3Engine? _engine;
    private HttpClient? _client;

    public async ValueTask InitializeAsync()
    {
        if (!SharedPaths.Available || !File.Exists(Path.Combine(SharedPaths.Root, "reference", "reference.json.gz")))
        {
            return;
        }
        var bundle = Path.Combine(SharedPaths.Root, "reference", "bundle");
        _engine = new Sam3Engine(new EngineOptions { ModelDir = bundle });
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", DataDir = Path.Combine(_root.Path, "data"), Workers = 1 };
        _app = Sam3ServerHost.Build(options, s => s.AddSingleton<ISegmentationEngine>(_engine));
        await _app.StartAsync();
        var (_, key) = await _app.Services.GetRequiredService<IAccountStore>().CreateKeyAsync("reference", null, null, CancellationToken.None);
        _client = new HttpClient { BaseAddress = new Uri(LoopbackWebServer.AddressOf(_app)), Timeout = TimeSpan.FromMinutes(5) };
        _client.DefaultRequestHeaders.Add("x-api-key", key);
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while ((await _client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the engine did not become ready on the reference bundle");
            await Task.Delay(100);
        }
    }

    /// <summary>The engine; skips the calling test without ../shared/reference.</summary>
    public Sam3Engine Require()
    {
        _ = ReferenceSet.Instance;
        return _engine ?? throw new InvalidOperationException("the reference engine did not load");
    }

    /// <summary>Runs <paramref name="c"/> through the engine.</summary>
    public async Task<List<ActualObject>> SegmentWithEngineAsync(ReferenceCase c)
    {
        var engine = Require();
        var image = ImageDecoder.Decode(ReferenceSet.Instance.ImageBytes(c), 100_000_000);
        var result = await engine.SegmentAsync(ReferenceRequests.ForEngine(c), image, TestContext.Current.CancellationToken);
        return result.Objects.Select(o => new ActualObject(o.Score, o.Box.Select(v => (double)v).ToArray(), Rasterise(o.Mask))).ToList();
    }

    /// <summary>Runs <paramref name="c"/> over POST /v1 (JSON answer, RLE masks).</summary>
    public async Task<List<ActualObject>> SegmentOverHttpAsync(ReferenceCase c)
    {
        Require();
        var body = ReferenceRequests.ForHttp(c);
        body["image"] = Convert.ToBase64String(ReferenceSet.Instance.ImageBytes(c));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sam3-image") { Content = JsonContent.Create(body) };
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _client!.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{c.Id}: {(int)response.StatusCode} {text}");
        var output = JsonNode.Parse(text)!.AsObject();
        return output["masks"]!.AsArray().Select(m => new ActualObject(
            m!["score"]!.GetValue<double>(),
            m["box"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(),
            CocoRle.Decode(m["mask"]!["counts"]!.GetValue<string>(), c.Width, c.Height))).ToList();
    }

    internal static byte[] Rasterise(IObjectMask mask)
    {
        var pixels = new byte[mask.Width * mask.Height];
        for (var y = 0; y < mask.Height; y++)
        {
            mask.FillRow(y, pixels.AsSpan(y * mask.Width, mask.Width));
        }
        return pixels;
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _engine?.Dispose();
        _root.Dispose();
    }
}
