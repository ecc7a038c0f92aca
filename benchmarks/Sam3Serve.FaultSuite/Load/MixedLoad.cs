using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sam3Serve.FaultSuite.Load;

/// <summary>A /v2 request the service accepted (answered 200 with an id).</summary>
public sealed class AcceptedRequest(string id, bool withWebhook)
{
    /// <summary>The request id.</summary>
    public string Id { get; } = id;

    /// <summary>Whether it carried a webhook URL.</summary>
    public bool WithWebhook { get; } = withWebhook;

    /// <summary>COMPLETED or FAILED once seen; null while unknown.</summary>
    public string? Final { get; set; }
}

/// <summary>The figures of a load run.</summary>
public sealed record LoadReport(
    TimeSpan Duration,
    int Concurrency,
    int V1Sent,
    IReadOnlyDictionary<string, int> V1Outcomes,
    int V2Submitted,
    IReadOnlyDictionary<string, int> V2SubmitOutcomes,
    IReadOnlyList<AcceptedRequest> Accepted,
    IReadOnlyList<double> V1LatencyMs,
    IReadOnlyList<double> V2LatencyMs)
{
    /// <summary>Requests answered per second (v1 answered plus v2 accepted).</summary>
    public double Throughput => (V1Outcomes.GetValueOrDefault("200") + Accepted.Count) / Duration.TotalSeconds;

    /// <summary>The p-th percentile (0–1) of sorted milliseconds.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>
/// Closed-loop mixed load: <c>concurrency</c> clients, each sending /v1 or /v2 (half each, at random) one
/// after another for a set time. A /v2 client polls its request's status until it ends, so its latency is
/// submit to COMPLETED. Connection failures (a killed server) are counted and the client carries on.
/// </summary>
public sealed class MixedLoad(Uri server, string apiKey, byte[] image, string? webhookUrl, int seed = 5)
{
    private readonly Random _random = new(seed);

    /// <summary>Body of every request: the image, prompt "red", and the webhook on /v2 when given.</summary>
    private string Body(bool v2) => JsonSerializer.Serialize(v2 && webhookUrl is not null
        ? new { image = Convert.ToBase64String(image), text_prompt = "red", webhook = webhookUrl }
        : (object)new { image = Convert.ToBase64String(image), text_prompt = "red" });

    /// <summary>Runs for <paramref name="duration"/> with <paramref name="concurrency"/> clients.</summary>
    public async Task<LoadReport> RunAsync(TimeSpan duration, int concurrency)
    {
        var v1Outcomes = new ConcurrentDictionary<string, int>();
        var v2Outcomes = new ConcurrentDictionary<string, int>();
        var accepted = new ConcurrentBag<AcceptedRequest>();
        var v1Latency = new ConcurrentBag<double>();
        var v2Latency = new ConcurrentBag<double>();
        int v1Sent = 0, v2Sent = 0;
        var v1Body = Encoding.UTF8.GetBytes(Body(v2: false));
        var v2Body = Encoding.UTF8.GetBytes(Body(v2: true));
        using var client = NewClient();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                bool v2;
                lock (_random)
                {
                    v2 = _random.Next(2) == 1;
                }
                var started = Stopwatch.GetTimestamp();
                if (!v2)
                {
                    Interlocked.Increment(ref v1Sent);
                    var outcome = await PostAsync(client, "/v1/sam3-image", v1Body);
                    v1Outcomes.AddOrUpdate(outcome.Label, 1, (_, n) => n + 1);
                    if (outcome.Status == 200)
                    {
                        v1Latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                    else if (outcome.Status is null)
                    {
                        await Task.Delay(200); // the server is down: do not spin
                    }
                    continue;
                }
                Interlocked.Increment(ref v2Sent);
                var submit = await PostAsync(client, "/v2/sam3-image", v2Body);
                v2Outcomes.AddOrUpdate(submit.Label, 1, (_, n) => n + 1);
                if (submit.Status != 200)
                {
                    if (submit.Status is null)
                    {
                        await Task.Delay(200);
                    }
                    continue;
                }
                var request = new AcceptedRequest(JsonNode.Parse(submit.Body)!["request_id"]!.GetValue<string>(), webhookUrl is not null);
                accepted.Add(request);
                request.Final = await WaitFinalAsync(client, request.Id, duration - clock.Elapsed + TimeSpan.FromSeconds(30));
                if (request.Final is "COMPLETED")
                {
                    v2Latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }));
        clock.Stop();
        return new LoadReport(clock.Elapsed, concurrency, v1Sent, v1Outcomes.ToDictionary(), v2Sent, v2Outcomes.ToDictionary(),
            [.. accepted], [.. v1Latency.Order()], [.. v2Latency.Order()]);
    }

    /// <summary>Polls every accepted request that has no final state yet until it has one or the time is up.</summary>
    public async Task SettleAsync(IEnumerable<AcceptedRequest> requests, TimeSpan within)
    {
        using var client = NewClient();
        var deadline = DateTime.UtcNow + within;
        foreach (var request in requests.Where(r => r.Final is null))
        {
            request.Final = await WaitFinalAsync(client, request.Id, deadline - DateTime.UtcNow);
        }
    }

    /// <summary>COMPLETED or FAILED when the status says so within <paramref name="within"/>; null otherwise.</summary>
    public static async Task<string?> WaitFinalAsync(HttpClient client, string id, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        do
        {
            try
            {
                using var response = await client.GetAsync($"/v2/requests/{id}/status");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity)
                {
                    var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())?["status"]?.GetValue<string>();
                    if (status is "COMPLETED" or "FAILED")
                    {
                        return status;
                    }
                }
                else if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return "LOST (404)";
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The server or its store is down for the moment.
            }
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        return null;
    }

    private HttpClient NewClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(90),
        };
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return client;
    }

    private readonly record struct Outcome(int? Status, string Body, string Label);

    private static async Task<Outcome> PostAsync(HttpClient client, string path, byte[] body)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(path, content);
            var text = response.Content.Headers.ContentType?.MediaType == "application/json" ? await response.Content.ReadAsStringAsync() : "";
            if (response.Content.Headers.ContentType?.MediaType != "application/json")
            {
                await response.Content.ReadAsByteArrayAsync();
            }
            var status = (int)response.StatusCode;
            return new Outcome(status, text, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return new Outcome(null, "", e is TaskCanceledException ? "timeout" : "connection error");
        }
    }
}
