using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Tests.Common;

namespace Sam3Serve.Server.Tests.Infrastructure;

/// <summary>
/// The image hosts a client may point at, on loopback: a good image, a 404, a redirect to a non-allowed
/// loopback address, and one that never answers.
/// </summary>
public static class ImageHost
{
    public static Task<LoopbackWebServer> StartAsync(byte[] image) => LoopbackWebServer.StartAsync(app =>
    {
        app.MapGet("/image.png", () => Results.File(image, "image/png"));
        app.MapGet("/missing.png", () => Results.NotFound());
        app.MapGet("/redirect-to-private", (HttpContext c) =>
            Results.Redirect($"http://127.0.0.2:{c.Connection.LocalPort}/image.png"));
        app.MapGet("/hang", async (HttpContext c) =>
        {
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
            return Results.Ok();
        });
    });
}
