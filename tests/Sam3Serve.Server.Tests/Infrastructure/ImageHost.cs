using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sam3Serve.Server.Tests.Infrastructure;

/// <summary>
/// A loopback web server that plays the image hosts a client may point at: a good image, a 404, a
/// redirect to a non-allowed loopback address, and one that never answers.
/// </summary>
public sealed class ImageHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ImageHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Url(string path) => new Uri(BaseAddress, path).AbsoluteUri;

    public static async Task<ImageHost> StartAsync(byte[] image)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/image.png", () => Results.File(image, "image/png"));
        app.MapGet("/missing.png", () => Results.NotFound());
        app.MapGet("/redirect-to-private", (HttpContext c) =>
            Results.Redirect($"http://127.0.0.2:{c.Connection.LocalPort}/image.png"));
        app.MapGet("/hang", async (HttpContext c) =>
        {
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ImageHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
