using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sam3Serve.Client.Tests.Infrastructure;

/// <summary>
/// A small server that follows the sam3-image contract closely enough to drive the SDK: key check, v1 with
/// PNG-or-JSON answers, v2 submit with absolute URLs, a status script per job (one step per status poll),
/// 422 FAILED bodies, media, credits, and canned faults (429/503/400 …) for the next requests to a path.
/// </summary>
public sealed class FakeSam3Server : IAsyncDisposable
{
    public const string Key = "test-key-123";

    /// <summary>Bytes served as image/png (the PNG signature and a little more; never decoded).</summary>
    public static readonly byte[] PngBytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5];

    /// <summary>The RLE mask served for completed jobs: 3×4 pixels, rows 0110 / 0110 / 0001.</summary>
    public const string MaskCounts = "32102O";

    private readonly ConcurrentDictionary<string, Job> _jobs = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Fault>> _faults = new();
    private LoopbackServer _server = null!;

    /// <summary>States each new job reports to successive status polls; the last one sticks.</summary>
    public string[] StatusScript { get; set; } = ["QUEUED", "PROCESSING", "COMPLETED"];

    /// <summary>The <c>error</c> of a job whose script reaches FAILED.</summary>
    public string FailureReason { get; set; } = "image could not be decoded";

    public Uri BaseAddress => _server.BaseAddress;

    public IReadOnlyList<RecordedRequest> Requests => _server.Requests;

    public IReadOnlyList<RecordedRequest> RequestsTo(string path) => [.. Requests.Where(r => r.Path == path)];

    public static async Task<FakeSam3Server> StartAsync()
    {
        var fake = new FakeSam3Server();
        fake._server = await LoopbackServer.StartAsync(fake.Map);
        return fake;
    }

    /// <summary>Answers the next request to <paramref name="path"/> with this status and body instead of the contract's.</summary>
    public void EnqueueFault(string path, int status, string body, string? retryAfter = null) =>
        _faults.GetOrAdd(path, _ => new ConcurrentQueue<Fault>()).Enqueue(new Fault(status, body, retryAfter));

    public Sam3Client CreateClient(Action<Sam3ClientOptions>? configure = null)
    {
        var options = new Sam3ClientOptions { ApiKey = Key, BaseAddress = BaseAddress, InitialRetryDelay = TimeSpan.FromMilliseconds(20) };
        configure?.Invoke(options);
        return new Sam3Client(options);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (_faults.TryGetValue(context.Request.Path.Value ?? "", out var queue) && queue.TryDequeue(out var fault))
            {
                context.Response.StatusCode = fault.Status;
                if (fault.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = fault.RetryAfter;
                }
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(fault.Body);
                return;
            }
            var key = context.Request.Headers["x-api-key"].ToString();
            if (key != Key)
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { error = "missing or unknown API key" });
                return;
            }
            context.Response.Headers["x-remaining-credits"] = "41";
            await next(context);
        });

        app.MapPost("/v1/sam3-image", RunSync);
        app.MapPost("/v2/sam3-image", Submit);
        app.MapGet("/v2/requests/{id}/status", Status);
        app.MapGet("/v2/requests/{id}", Result);
        app.MapGet("/v1/requests/{id}", Result);
        app.MapGet("/v2/requests/{id}/media/{name}", (string id) => _jobs.ContainsKey(id)
            ? Results.Bytes(PngBytes, "image/png")
            : Results.Json(new { error = "unknown or expired request" }, statusCode: 404));
        app.MapPost("/v2/requests/{id}/cancel", (string id) => _jobs.ContainsKey(id)
            ? Results.Json(new JsonObject { ["status"] = "FAILED", ["request_id"] = id, ["error"] = "cancelled", ["metrics"] = new JsonObject { ["total_time"] = 0.5 } })
            : Results.Json(new { error = "unknown or expired request" }, statusCode: 404));
        app.MapGet("/v1/get-user-credits", () => Results.Json(new JsonObject { ["credits"] = 42.5, ["free-credits"] = 3 }));
    }

    private static async Task<JsonObject?> ReadBodyAsync(HttpRequest request)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<JsonObject>(request.Body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult BadRequest(string field, string message) =>
        Results.Json(new JsonObject { ["error"] = $"{field}: {message}", ["errors"] = new JsonObject { [field] = new JsonArray(message) } }, statusCode: 400);

    private static string Base(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private async Task<IResult> RunSync(HttpRequest request, HttpResponse response)
    {
        var body = await ReadBodyAsync(request);
        if (body?["image"] is null)
        {
            return BadRequest("image", "is required");
        }
        response.Headers["x-request-id"] = "sync-1";
        response.Headers["x-inference-time"] = "0.125";
        bool Flag(string name, bool fallback) => body[name]?.GetValue<bool>() ?? fallback;
        var images = (Flag("return_preview", true) ? 1 : 0) + (Flag("return_overlay", false) ? 1 : 0);
        var wantsJson = request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal);
        if (images == 1 && !Flag("return_masks", false) && !wantsJson)
        {
            return Results.Bytes(PngBytes, "image/png");
        }
        var dataUri = "data:image/png;base64," + Convert.ToBase64String(PngBytes);
        return Results.Json(Output(preview: dataUri, maskPng: Flag("return_masks", false) ? dataUri : null));
    }

    private async Task<IResult> Submit(HttpRequest request)
    {
        var body = await ReadBodyAsync(request);
        if (body?["image"] is null)
        {
            return BadRequest("image", "is required");
        }
        var id = Guid.NewGuid().ToString("n");
        _jobs[id] = new Job(id);
        var b = Base(request);
        return Results.Json(new JsonObject
        {
            ["request_id"] = id,
            ["status"] = "QUEUED",
            ["poll_url"] = $"{b}/v1/requests/{id}",
            ["status_url"] = $"{b}/v2/requests/{id}/status",
            ["response_url"] = $"{b}/v2/requests/{id}",
        });
    }

    private IResult Status(string id, HttpRequest request)
    {
        if (!_jobs.TryGetValue(id, out var job))
        {
            return Results.Json(new { error = "unknown or expired request" }, statusCode: 404);
        }
        var state = job.Advance(StatusScript);
        return state switch
        {
            "COMPLETED" => Results.Json(new JsonObject { ["status"] = state, ["request_id"] = id, ["metrics"] = new JsonObject { ["inference_time"] = 0.25 } }),
            "FAILED" => Results.Json(new JsonObject { ["status"] = state, ["request_id"] = id, ["error"] = FailureReason, ["metrics"] = new JsonObject() }, statusCode: 422),
            _ => Results.Json(new JsonObject
            {
                ["status"] = state,
                ["request_id"] = id,
                ["status_url"] = $"{Base(request)}/v2/requests/{id}/status",
                ["response_url"] = $"{Base(request)}/v2/requests/{id}",
                ["metrics"] = new JsonObject(),
            }),
        };
    }

    private IResult Result(string id, HttpRequest request)
    {
        if (!_jobs.TryGetValue(id, out var job))
        {
            return Results.Json(new { error = "unknown or expired request" }, statusCode: 404);
        }
        var state = job.Current(StatusScript);
        var media = $"{Base(request)}/v2/requests/{id}/media";
        return state switch
        {
            "COMPLETED" => Results.Json(new JsonObject
            {
                ["status"] = state,
                ["error"] = null,
                ["request_id"] = id,
                ["metrics"] = new JsonObject { ["inference_time"] = 0.25, ["queue_time"] = 0.5 },
                ["output"] = Output(preview: $"{media}/preview.png", maskPng: null),
            }),
            "FAILED" => Results.Json(new JsonObject { ["status"] = state, ["request_id"] = id, ["error"] = FailureReason, ["metrics"] = new JsonObject() }, statusCode: 422),
            _ => Results.Json(new JsonObject { ["status"] = state, ["request_id"] = id, ["metrics"] = new JsonObject() }, statusCode: 202),
        };
    }

    private static JsonObject Output(string preview, string? maskPng) => new()
    {
        ["width"] = 4,
        ["height"] = 3,
        ["mode"] = "concept",
        ["preview"] = preview,
        ["overlay"] = null,
        ["masks"] = new JsonArray(
            new JsonObject
            {
                ["index"] = 0,
                ["score"] = 0.93,
                ["box"] = new JsonArray(1, 0, 4, 3),
                ["area"] = 5,
                ["prompt_index"] = 0,
                ["mask"] = maskPng is null ? new JsonObject { ["size"] = new JsonArray(3, 4), ["counts"] = MaskCounts } : maskPng,
            },
            new JsonObject
            {
                ["index"] = 1,
                ["score"] = 0.61,
                ["box"] = new JsonArray(0, 0, 2, 2),
                ["area"] = 4,
                ["prompt_index"] = 1,
                ["mask"] = new JsonArray(new JsonArray(0, 0, 2, 0, 2, 2, 0, 2)),
            }),
        ["count"] = 2,
    };

    private sealed record Fault(int Status, string Body, string? RetryAfter);

    private sealed class Job(string id)
    {
        private int _polls;

        public string Id { get; } = id;

        public string Advance(string[] script) => script[Math.Min(Interlocked.Increment(ref _polls) - 1, script.Length - 1)];

        public string Current(string[] script) => script[Math.Clamp(Volatile.Read(ref _polls) - 1, 0, script.Length - 1)];
    }
}
