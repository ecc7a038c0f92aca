using System.Collections.Concurrent;
using System.Net;

namespace Sam3Serve.FaultSuite.Hostile;

/// <summary>The figures of one hostile run.</summary>
public sealed record HostileReport(
    int Sent,
    IReadOnlyDictionary<int, int> ByStatus,
    int NoAnswer,
    IReadOnlyList<string> ServerErrors,
    IReadOnlyDictionary<string, string> StatusesByKind,
    bool ServerAlive,
    bool ValidRequestWorksAfter,
    IReadOnlyList<string> Accepted);

/// <summary>
/// Sends hostile cases to a running server, <c>concurrency</c> at a time, and checks that none got a 5xx,
/// that the server still runs, and that a valid request still succeeds afterwards.
/// </summary>
public static class HostileRun
{
    /// <summary>Runs <paramref name="count"/> cases against the server on <paramref name="port"/>.</summary>
    public static async Task<HostileReport> RunAsync(int port, string apiKey, int count, int concurrency, Func<bool> serverAlive, int seed = 11)
    {
        var generator = new HostileRequests(apiKey, seed);
        var cases = new ConcurrentQueue<HostileCase>(generator.Generate(count));
        var byStatus = new ConcurrentDictionary<int, int>();
        var byKind = new ConcurrentDictionary<string, ConcurrentDictionary<string, int>>();
        var errors = new ConcurrentBag<string>();
        var accepted = new ConcurrentBag<string>();
        var noAnswer = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (cases.TryDequeue(out var hostile))
            {
                HostileOutcome outcome;
                try
                {
                    outcome = await RawHttpSender.SendAsync(port, hostile, TimeSpan.FromSeconds(30));
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                {
                    outcome = new HostileOutcome(null, "connection failed: " + e.Message);
                }
                var label = outcome.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
                byKind.GetOrAdd(hostile.Kind, _ => new()).AddOrUpdate(label, 1, (_, n) => n + 1);
                if (outcome.Status is { } status)
                {
                    byStatus.AddOrUpdate(status, 1, (_, n) => n + 1);
                    if (status >= 500)
                    {
                        errors.Add($"{hostile.Kind}: {status}");
                    }
                    else if (status < 300)
                    {
                        // Not a failure (some generated cases turn out valid), but worth reading: print what passed.
                        var text = System.Text.Encoding.UTF8.GetString(hostile.Bytes);
                        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
                        accepted.Add($"{hostile.Kind} {status}: {text[..text.IndexOf(' ', 5)]} {(body.Length > 160 ? body[..80] + " ... " + body[^80..] : body)}");
                    }
                }
                else
                {
                    Interlocked.Increment(ref noAnswer);
                    if (hostile.ExpectsAnswer)
                    {
                        errors.Add($"{hostile.Kind}: no answer to a whole request ({outcome.Note})");
                    }
                }
            }
        }));
        var works = await ValidRequestSucceedsAsync(port, apiKey);
        return new HostileReport(count, byStatus.ToDictionary(), noAnswer, [.. errors],
            byKind.OrderBy(k => k.Key).ToDictionary(k => k.Key, k => string.Join(" ", k.Value.OrderBy(v => v.Key).Select(v => $"{v.Key}×{v.Value}"))),
            serverAlive(), works, [.. accepted]);
    }

    /// <summary>A valid /v1 request (an 8×8 red PNG, prompt "red") answers 200.</summary>
    public static async Task<bool> ValidRequestSucceedsAsync(int port, string apiKey)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        using var bitmap = new SkiaSharp.SKBitmap(64, 48);
        bitmap.Erase(SkiaSharp.SKColors.Red);
        using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        var body = System.Text.Json.JsonSerializer.Serialize(new { image = Convert.ToBase64String(png.ToArray()), text_prompt = "red" });
        try
        {
            using var response = await client.PostAsync("/v1/sam3-image", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
