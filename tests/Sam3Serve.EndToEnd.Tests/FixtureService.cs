using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Fixture;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Server;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.EndToEnd.Tests;

/// <summary>The service with the ONNX engine on the fixture bundle, shared by the tests of a class.</summary>
public sealed class FixtureService : IAsyncLifetime
{
    private readonly TempDir _root = new("sam3serve-e2e");
    private WebApplication _app = null!;

    public HttpClient Client { get; private set; } = null!;
    public Sam3Engine Engine { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var modelDir = Path.Combine(_root.Path, "model");
        FixtureBundle.Write(modelDir);
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", DataDir = Path.Combine(_root.Path, "data"), Workers = 2 };
        Engine = new Sam3Engine(new EngineOptions { ModelDir = modelDir });
        _app = Sam3ServerHost.Build(options, s => s.AddSingleton<ISegmentationEngine>(Engine));
        await _app.StartAsync();
        var address = LoopbackWebServer.AddressOf(_app);
        var (_, key) = await _app.Services.GetRequiredService<IAccountStore>().CreateKeyAsync("e2e", null, null, CancellationToken.None);
        Client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(120) };
        Client.DefaultRequestHeaders.Add("x-api-key", key);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the engine did not become ready on the fixture bundle");
            await Task.Delay(100);
        }
    }

    /// <summary>POSTs to /v1 asking for JSON with per-mask RLE; returns the output object.</summary>
    public async Task<JsonObject> SegmentAsync(byte[] image, object fields)
    {
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(fields))!.AsObject();
        body["image"] = Convert.ToBase64String(image);
        body["return_masks"] = true;
        body["mask_format"] = "rle";
        var response = await Client.PostAsJsonAsync("/v1/sam3-image", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Engine.Dispose();
        _root.Dispose();
    }
}
