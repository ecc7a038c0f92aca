using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Tests.Common;

namespace Sam3Serve.Server.Tests.Infrastructure;

/// <summary>
/// A webhook endpoint on loopback that records every POST (headers and raw body) and answers with the
/// status its script gives for that attempt (200 once the script runs out); 0 means "never answer".
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly LoopbackWebServer _server;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly SemaphoreSlim _arrived = new(0, int.MaxValue);

    private WebhookReceiver(LoopbackWebServer server)
    {
        _server = server;
    }

    /// <summary>One POST as received.</summary>
    public sealed record Delivery(string Id, string Timestamp, string Signature, string ContentType, string Body)
    {
        public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
    }

    public string Url => _server.Url("/hook");

    public IReadOnlyList<Delivery> Deliveries => _deliveries.ToArray();

    public static async Task<WebhookReceiver> StartAsync(params int[] statuses)
    {
        var script = new ConcurrentQueue<int>(statuses);
        WebhookReceiver? receiver = null;
        var server = await LoopbackWebServer.StartAsync(app => app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var h = context.Request.Headers;
            receiver!._deliveries.Enqueue(new Delivery(h["webhook-id"].ToString(), h["webhook-timestamp"].ToString(),
                h["webhook-signature"].ToString(), context.Request.ContentType ?? "", body));
            receiver._arrived.Release();
            var status = script.TryDequeue(out var s) ? s : 200;
            if (status == 0)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            context.Response.StatusCode = status;
        }));
        receiver = new WebhookReceiver(server);
        return receiver;
    }

    /// <summary>Waits until <paramref name="count"/> POSTs have arrived; fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<Delivery>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (_deliveries.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"expected {count} webhook deliveries, got {_deliveries.Count}");
            }
        }
        return Deliveries;
    }

    /// <summary>True when <paramref name="delivery"/> carries a valid Standard Webhooks signature under <paramref name="secret"/>.</summary>
    public static bool SignatureValid(Delivery delivery, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{delivery.Id}.{delivery.Timestamp}.{delivery.Body}")));
        return delivery.Signature.Split(' ').Contains(expected);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
