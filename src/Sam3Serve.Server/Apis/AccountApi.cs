using System.Text.Json.Nodes;
using Sam3Serve.Server.Auth;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Apis;

/// <summary>GET /v1/get-user-credits: the calling key's balance, in Segmind's shape.</summary>
internal static class AccountApi
{
    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/get-user-credits", GetCreditsAsync)
            .WithName("GetCredits").WithTags("account")
            .WithSummary("Credits left for the calling key; null credits mean unlimited.")
            .Produces<JsonObject>(200).Produces<ErrorBody>(401);
        return app;
    }

    private static async Task<IResult> GetCreditsAsync(HttpContext context, CallerAuthenticator auth)
    {
        var caller = await auth.AuthenticateAsync(context, countTowardsRateLimit: false);
        var body = new JsonObject
        {
            ["credits"] = caller.Available is { } available ? JsonValue.Create(available) : null,
            // Segmind separates free credits; this service has one balance per key.
            ["free-credits"] = 0,
        };
        return Results.Json(body, JsonOptions.Web);
    }
}
