using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sam3Serve.FaultSuite.Webhooks;

/// <summary>One delivery as received.</summary>
/// <param name="RequestId">The body's request_id.</param>
/// <param name="Status">The body's status (COMPLETED or FAILED).</param>
/// <param name="SignatureValid">Whether webhook-signature matched the secret (null when no secret is known).</param>
public sealed record WebhookDelivery(string RequestId, string Status, bool? SignatureValid);

/// <summary>
/// A loopback HTTP endpoint that records the webhooks the service sends (contract §8) and answers 200,
/// checking the Standard Webhooks signature when it knows the secret.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<WebhookDelivery> _deliveries = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The URL to put in a request's <c>webhook</c> field.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every delivery so far, duplicates included.</summary>
    public IReadOnlyCollection<WebhookDelivery> Deliveries => _deliveries;

    /// <summary>Starts the receiver; <paramref name="secret"/> (whsec_...) enables the signature check.</summary>
    public static async Task<WebhookReceiver> StartAsync(string? secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        var key = secret is null ? null : Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var node = JsonNode.Parse(body);
            bool? valid = null;
            if (key is not null)
            {
                var id = context.Request.Headers["webhook-id"].ToString();
                var timestamp = context.Request.Headers["webhook-timestamp"].ToString();
                var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
                valid = context.Request.Headers["webhook-signature"].ToString().Split(' ').Contains(expected);
            }
            receiver._deliveries.Enqueue(new WebhookDelivery(
                node?["request_id"]?.GetValue<string>() ?? "", node?["status"]?.GetValue<string>() ?? "", valid));
            return Results.Ok();
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        return receiver;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
