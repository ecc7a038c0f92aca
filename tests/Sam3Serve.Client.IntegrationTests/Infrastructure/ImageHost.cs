using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Tests.Common;

namespace Sam3Serve.Client.IntegrationTests.Infrastructure;

/// <summary>A loopback web server that image URLs point at: named byte payloads, 404 for anything else.</summary>
public static class ImageHost
{
    /// <summary>Starts serving <paramref name="files"/> (path without the leading slash → content type and bytes).</summary>
    public static Task<LoopbackWebServer> StartAsync(Dictionary<string, (string ContentType, byte[] Bytes)> files) =>
        LoopbackWebServer.StartAsync(app => app.MapGet("/{**path}", (string path) => files.TryGetValue(path, out var f)
            ? Results.File(f.Bytes, f.ContentType)
            : Results.NotFound()));
}
