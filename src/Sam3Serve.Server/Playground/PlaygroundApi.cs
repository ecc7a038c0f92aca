using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Playground;

/// <summary>
/// GET /: the playground page, and its script and stylesheet under /playground/. Everything comes
/// from this assembly; the page's security policy lets it load nothing from other hosts except the pictures a
/// person links to.
/// </summary>
internal static class PlaygroundApi
{
    // img-src allows http(s) for an image URL the person pastes; scripts, styles and API calls stay on this origin.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: https:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Maps the page and its files.</summary>
    public static IEndpointRouteBuilder MapPlaygroundApi(this IEndpointRouteBuilder app)
    {
        var assets = PlaygroundAssets.Load();
        app.MapGet("/", (HttpContext context) => Serve(context, assets.Find("index.html")!))
            .WithName("Playground").WithTags("playground")
            .WithSummary("The playground: a web page to try every mode of the service.")
            .Produces(200, contentType: "text/html");
        app.MapGet("/playground/{name}", (string name, HttpContext context) =>
                assets.Find(name) is { } asset && name != "index.html"
                    ? Serve(context, asset)
                    : ErrorResponses.Result(404, $"the playground has no file '{name}'"))
            .ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext context, PlaygroundAsset asset)
    {
        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated on every load (cheap 304s), so a new server version never runs a stale script.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.Vary = "Accept-Encoding";
        if (asset.Name == "index.html")
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
        }
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Contains(asset.ETag, StringComparison.Ordinal)))
        {
            return Results.StatusCode(304);
        }
        var gzip = context.Request.Headers.AcceptEncoding.Any(v => v?.Contains("gzip", StringComparison.OrdinalIgnoreCase) == true);
        if (gzip)
        {
            headers.ContentEncoding = "gzip";
            return Results.Bytes(asset.Gzipped, asset.ContentType);
        }
        return Results.Bytes(asset.Content, asset.ContentType);
    }
}
