using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>A loopback web server that image URLs point at: named byte payloads, 404 for anything else.</summary>
public sealed class ImageHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, (string ContentType, byte[] Bytes)> _files;

    private ImageHost(WebApplication app, Dictionary<string, (string, byte[])> files)
    {
        _app = app;
        _files = files;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts serving <paramref name="files"/> (path without the leading slash → content type and bytes).</summary>
    public static async Task<ImageHost> StartAsync(Dictionary<string, (string ContentType, byte[] Bytes)> files)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var host = new ImageHost(app, files);
        app.MapGet("/{**path}", (string path) => host._files.TryGetValue(path, out var f)
            ? Results.File(f.Bytes, f.ContentType)
            : Results.NotFound());
        await app.StartAsync();
        host.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return host;
    }

    public string Url(string path) => new Uri(BaseAddress, path).AbsoluteUri;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
