using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Client.IntegrationTests.Infrastructure;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Client.IntegrationTests;

/// <summary>
/// Webhooks and cancel through the SDK against the real service: a webhook the SDK's <see cref="Sam3Webhook.Verify(string, IEnumerable{KeyValuePair{string, string}}, string)"/>
/// accepts, and <see cref="Sam3Job.CancelAsync"/> on a queued and a running request.
/// </summary>
public sealed class WebhookAndCancelTests(WebhookService service) : IClassFixture<WebhookService>, IAsyncLifetime
{
    private static readonly byte[] ScenePng = Scene.Png();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        service.Engine.Delay = TimeSpan.Zero;
        return ValueTask.CompletedTask;
    }

    private sealed record Received(Dictionary<string, string> Headers, string Body);

    private static async Task<(LoopbackWebServer Server, ConcurrentQueue<Received> Received)> ReceiverAsync()
    {
        var received = new ConcurrentQueue<Received>();
        var server = await LoopbackWebServer.StartAsync(app => app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            received.Enqueue(new Received(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString()), body));
            return Results.NoContent();
        }));
        return (server, received);
    }

    private static async Task<Received> FirstAsync(ConcurrentQueue<Received> received)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received.IsEmpty)
        {
            Assert.True(DateTime.UtcNow < deadline, "no webhook arrived");
            await Task.Delay(50);
        }
        received.TryPeek(out var first);
        return first!;
    }

    [Fact]
    public async Task Webhook_Completed_VerifiesWithTheServersSecret_AndCarriesTheResult()
    {
        var (server, received) = await ReceiverAsync();
        await using var _ = server;
        using var client = service.Client();

        var job = await client.SubmitAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red").WithWebhook(new Uri(server.Url("/hook"))));
        var result = await job.WaitAsync();
        var hook = await FirstAsync(received);

        Assert.True(Sam3Webhook.Verify(service.WebhookSecret, hook.Headers, hook.Body));
        Assert.False(Sam3Webhook.Verify(service.WebhookSecret, hook.Headers, hook.Body.Replace("COMPLETED", "FAILED", StringComparison.Ordinal)));
        Assert.StartsWith(job.RequestId, hook.Headers["webhook-id"], StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(hook.Body);
        Assert.Equal("COMPLETED", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal(result.Output!.Count, doc.RootElement.GetProperty("output").GetProperty("count").GetInt32());
        // The media URL in the webhook is absolute and readable with the key.
        var preview = await client.GetMediaAsync(doc.RootElement.GetProperty("output").GetProperty("preview").GetString()!);
        Assert.Equal(0x89, preview[0]);
    }

    [Fact]
    public async Task CancelAsync_RunningAndQueued_BothEndCancelled_NeitherIsCharged_AndTheWebhookSaysSo()
    {
        var (server, received) = await ReceiverAsync();
        await using var _ = server;
        var key = await service.CreateKeyAsync($"cancel-{Guid.NewGuid():N}", credits: 5, rpm: null);
        using var client = service.Client(key);
        service.Engine.Delay = TimeSpan.FromSeconds(30);

        var running = await client.SubmitAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await running.GetStatusAsync()).State != Sam3JobState.Processing)
        {
            Assert.True(DateTime.UtcNow < deadline, "the request never started");
            await Task.Delay(50);
        }
        var queued = await client.SubmitAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red").WithWebhook(new Uri(server.Url("/hook"))));

        var queuedStatus = await queued.CancelAsync();
        var runningStatus = await client.CancelAsync(running.RequestId);

        Assert.Equal((Sam3JobState.Failed, "cancelled"), (queuedStatus.State, queuedStatus.Error));
        Assert.Equal((Sam3JobState.Failed, "cancelled"), (runningStatus.State, runningStatus.Error));
        var failed = await Assert.ThrowsAsync<InferenceFailedException>(() => running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("cancelled", failed.Error);
        var conflict = await Assert.ThrowsAsync<Sam3ApiException>(() => running.CancelAsync());
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);

        var hook = await FirstAsync(received);
        Assert.True(Sam3Webhook.Verify(service.WebhookSecret, hook.Headers, hook.Body));
        Assert.Contains("\"cancelled\"", hook.Body, StringComparison.Ordinal);
        Assert.Equal(5, (await client.GetCreditsAsync()).Credits);

        // The worker is free again well before the 30 s the cancelled request would have taken.
        service.Engine.Delay = TimeSpan.Zero;
        var next = await client.SubmitAsync(Sam3Request.FromBytes(ScenePng).WithTextPrompt("red"));
        Assert.Equal(Sam3JobState.Completed, (await next.WaitAsync(TimeSpan.FromSeconds(15))).State);
        Assert.Equal(4, (await client.GetCreditsAsync()).Credits);
    }
}
