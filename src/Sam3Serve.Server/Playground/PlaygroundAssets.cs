using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;

namespace Sam3Serve.Server.Playground;

/// <summary>One file of the page: its bytes, a gzip copy, its content type and a strong ETag.</summary>
internal sealed record PlaygroundAsset(string Name, byte[] Content, byte[] Gzipped, string ContentType, string ETag);

/// <summary>
/// The playground's files, embedded in this assembly (static/ and the committed dist/app.js of
/// src/Sam3Serve.Playground), read and compressed once.
/// </summary>
internal sealed class PlaygroundAssets
{
    private const string Prefix = "playground/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    private readonly Dictionary<string, PlaygroundAsset> _assets;

    private PlaygroundAssets(Dictionary<string, PlaygroundAsset> assets) => _assets = assets;

    /// <summary>The files embedded in the server assembly.</summary>
    public static PlaygroundAssets Load()
    {
        var assembly = typeof(PlaygroundAssets).Assembly;
        var assets = new Dictionary<string, PlaygroundAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var name = resource[Prefix.Length..];
            var content = Read(assembly, resource);
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..20] + "\"";
            assets[name] = new PlaygroundAsset(name, content, Gzip(content), type, etag);
        }
        if (!assets.ContainsKey("index.html") || !assets.ContainsKey("app.js"))
        {
            throw new InvalidOperationException("the playground's files are not embedded in the server assembly");
        }
        return new PlaygroundAssets(assets);
    }

    /// <summary>The names of the embedded files.</summary>
    public IReadOnlyCollection<string> Names => _assets.Keys;

    /// <summary>The file called <paramref name="name"/>, if embedded.</summary>
    public PlaygroundAsset? Find(string name) => _assets.GetValueOrDefault(name);

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize))
        {
            gzip.Write(content);
        }
        return buffer.ToArray();
    }
}
