using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Server;
using Sam3Serve.Tests.Common;
using SkiaSharp;
using Xunit;

namespace Sam3Serve.Scale.Tests;

/// <summary>
/// One engine on the depth2 bundle and one real server around it, shared by every test of the collection (loading
/// twice would double the memory; the tests run one at a time).
/// </summary>
public sealed class ScaleEngine : IAsyncLifetime
{
    private readonly TempDir _data = new("sam3serve-scale");
    private WebApplication? _app;

    public Sam3Engine? Engine { get; private set; }

    public HttpClient? Client { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (ScaleBundle.Directory is not { } dir)
        {
            return;
        }
        Engine = new Sam3Engine(new EngineOptions { ModelDir = dir });
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", DataDir = _data.Path, Workers = 2, SyncTimeout = TimeSpan.FromSeconds(900) };
        _app = Sam3ServerHost.Build(options, s => s.AddSingleton<ISegmentationEngine>(Engine));
        await _app.StartAsync();
        var (_, key) = await _app.Services.GetRequiredService<IAccountStore>().CreateKeyAsync("scale", null, null, CancellationToken.None);
        Client = new HttpClient { BaseAddress = new Uri(LoopbackWebServer.AddressOf(_app)), Timeout = TimeSpan.FromMinutes(15) };
        Client.DefaultRequestHeaders.Add("x-api-key", key);
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (!Engine.IsReady)
        {
            Assert.True(DateTime.UtcNow < deadline, "the engine did not load the depth2 bundle within 5 minutes");
            await Task.Delay(200);
        }
    }

    /// <summary>A synthetic photo-like image (gradients and blocks), different for each <paramref name="seed"/>.</summary>
    public static RgbImage Image(int seed, int width = 640, int height = 480)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                var block = ((x / 80) + (y / 60) + seed) % 4;
                pixels[i] = (byte)((x * 255 / width) ^ (block * 40));
                pixels[i + 1] = (byte)((y * 255 / height) + (seed * 17));
                pixels[i + 2] = (byte)(block * 60);
            }
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary><see cref="Image"/> as a JPEG file's bytes.</summary>
    public static byte[] Jpeg(int seed)
    {
        var image = ScaleEngine.Image(seed);
        using var bitmap = new SKBitmap(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var i = ((y * image.Width) + x) * 3;
                bitmap.SetPixel(x, y, new SKColor(image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]));
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 92);
        return data.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Engine?.Dispose();
        _data.Dispose();
    }
}

/// <summary>The collection every scale test belongs to: one engine, never in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ScaleCollection : ICollectionFixture<ScaleEngine>
{
    public const string Name = "sam3-scale depth2";
}
