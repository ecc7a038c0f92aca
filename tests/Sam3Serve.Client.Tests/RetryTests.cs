using System.Net;
using Sam3Serve.Client.Tests.Infrastructure;

namespace Sam3Serve.Client.Tests;

/// <summary>Which answers are tried again, how long the client waits, and which are raised at once.</summary>
public sealed class RetryTests
{
    private const string V2 = "/v2/sam3-image";
    private const string V1 = "/v1/sam3-image";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Sam3Request Request() => Sam3Request.FromUrl("https://example.com/dog.jpg").WithTextPrompt("dog");

    [Fact]
    public async Task SubmitAsync_429WithRetryAfter_WaitsThatLongOnTheClockThenSucceeds()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.EnqueueFault(V2, 429, """{"error":"rate limit: 60 requests per minute"}""", retryAfter: "40");
        var clock = new WaitingClock();
        using var client = fake.CreateClient(o =>
        {
            o.MaxAttempts = 3;
            o.MaxRetryDelay = TimeSpan.FromMinutes(1);
            o.TimeProvider = clock;
        });

        var submit = client.SubmitAsync(Request(), Ct);
        await clock.WaitForTimersAsync(1);
        // A virtual clock fires a timer inside Advance when it falls due: 39 s on, the retry is still waiting.
        clock.Advance(TimeSpan.FromSeconds(39));
        Assert.Single(fake.RequestsTo(V2));
        clock.Advance(TimeSpan.FromSeconds(1));
        var job = await submit;

        var attempts = fake.RequestsTo(V2);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(attempts[0].Body, attempts[1].Body);
        Assert.NotEmpty(job.RequestId);
    }

    [Fact]
    public async Task RunSyncAsync_429WithRetryAfterHttpDate_RetriesAfterTheDate()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        var clock = new WaitingClock();
        // HTTP dates have whole seconds: the wait is 30 s less the clock's fraction of a second.
        fake.EnqueueFault(V1, 429, """{"error":"queue full"}""", retryAfter: clock.GetUtcNow().AddSeconds(30).ToString("R"));
        using var client = fake.CreateClient(o =>
        {
            o.MaxRetryDelay = TimeSpan.FromMinutes(1);
            o.TimeProvider = clock;
        });

        var call = client.RunSyncAsync(Request(), Ct);
        await clock.WaitForTimersAsync(1);
        clock.Advance(TimeSpan.FromSeconds(28));
        Assert.Single(fake.RequestsTo(V1));
        clock.Advance(TimeSpan.FromSeconds(2));
        var answer = await call;

        Assert.True(answer.IsImage);
        Assert.Equal(2, fake.RequestsTo(V1).Count);
    }

    [Fact]
    public async Task RunSyncAsync_503WithoutRetryAfter_BacksOffAndRetries()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.EnqueueFault(V1, 503, """{"error":"model not loaded yet"}""");
        fake.EnqueueFault(V1, 502, """{"error":"bad gateway"}""");
        using var client = fake.CreateClient(o => o.MaxAttempts = 3);

        var answer = await client.RunSyncAsync(Request(), Ct);

        Assert.Equal(FakeSam3Server.PngBytes, answer.Image);
        Assert.Equal(3, fake.RequestsTo(V1).Count);
    }

    [Fact]
    public async Task SubmitAsync_503OnEveryAttempt_StopsAtMaxAttemptsWithSam3ApiException()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            fake.EnqueueFault(V2, 503, """{"error":"shutting down"}""", retryAfter: "0");
        }
        using var client = fake.CreateClient(o => o.MaxAttempts = 3);

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.SubmitAsync(Request(), Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal("shutting down", error.Error);
        Assert.Equal(TimeSpan.Zero, error.RetryAfter);
        Assert.Equal(3, fake.RequestsTo(V2).Count);
    }

    [Fact]
    public async Task SubmitAsync_400_RaisesSam3ApiExceptionWithoutRetry()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        const string body = """{"error":"boxes_input: x2 must be greater than x1","errors":{"boxes_input":["x2 must be greater than x1"]}}""";
        fake.EnqueueFault(V2, 400, body);
        using var client = fake.CreateClient();

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.SubmitAsync(Request().WithBox(10, 10, 5, 20), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("boxes_input: x2 must be greater than x1", error.Error);
        Assert.Equal(["x2 must be greater than x1"], error.Errors["boxes_input"]);
        Assert.Equal(body, error.ResponseBody);
        Assert.Contains("400", error.Message);
        Assert.Single(fake.RequestsTo(V2));
    }

    [Fact]
    public async Task SubmitAsync_500_IsNotRetriedBecauseTheRequestMayHaveBeenQueued()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.EnqueueFault(V2, 500, """{"error":"unexpected fault"}""");
        using var client = fake.CreateClient();

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.SubmitAsync(Request(), Ct));

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Single(fake.RequestsTo(V2));
    }

    [Fact]
    public async Task RunSyncAsync_RetryAfterLongerThanMaxDelay_RaisesAtOnceWithRetryAfter()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.EnqueueFault(V1, 429, """{"error":"rate limited"}""", retryAfter: "120");
        using var client = fake.CreateClient(o => o.MaxRetryDelay = TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunSyncAsync(Request(), Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Single(fake.RequestsTo(V1));
    }

    [Fact]
    public async Task RunSyncAsync_MaxAttemptsOne_DoesNotRetry()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.EnqueueFault(V1, 503, """{"error":"busy"}""", retryAfter: "0");
        using var client = fake.CreateClient(o => o.MaxAttempts = 1);

        await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunSyncAsync(Request(), Ct));

        Assert.Single(fake.RequestsTo(V1));
    }

    [Fact]
    public async Task GetStatusAsync_503ThenOk_RetriesThePoll()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient();
        var job = await client.SubmitAsync(Request(), Ct);
        fake.EnqueueFault(job.StatusUrl.AbsolutePath, 503, """{"error":"store unreachable"}""", retryAfter: "0");

        var status = await job.GetStatusAsync(Ct);

        Assert.Equal(Sam3JobState.Queued, status.State);
        Assert.Equal(2, fake.RequestsTo(job.StatusUrl.AbsolutePath).Count);
    }

    [Fact]
    public async Task RunSyncAsync_WrongKey_Raises401WithServerError()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        using var client = fake.CreateClient(o => o.ApiKey = "wrong");

        var error = await Assert.ThrowsAsync<Sam3ApiException>(() => client.RunSyncAsync(Request(), Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("missing or unknown API key", error.Error);
        Assert.Single(fake.RequestsTo(V1));
    }

    [Fact]
    public async Task RunSyncAsync_CancelledDuringRetryWait_ThrowsOperationCanceled()
    {
        await using var fake = await FakeSam3Server.StartAsync();
        fake.EnqueueFault(V1, 429, """{"error":"rate limited"}""", retryAfter: "20");
        var clock = new WaitingClock();
        using var client = fake.CreateClient(o =>
        {
            o.MaxRetryDelay = TimeSpan.FromMinutes(1);
            o.TimeProvider = clock;
        });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = client.RunSyncAsync(Request(), cancel.Token);
        // The client's first wait is its Retry-After wait: cancel exactly then.
        await clock.WaitForTimersAsync(1);
        Assert.Single(fake.RequestsTo(V1));
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(fake.RequestsTo(V1));
    }

    [Fact]
    public async Task GetCreditsAsync_NothingListening_RetriesConnectionFailuresThenThrows()
    {
        var counter = new CountingHandler(new SocketsHttpHandler());
        using var http = new HttpClient(counter);
        using var client = new Sam3Client(http, new Sam3ClientOptions
        {
            ApiKey = "k",
            BaseAddress = new Uri("http://127.0.0.1:1/"),
            MaxAttempts = 3,
            InitialRetryDelay = TimeSpan.FromMilliseconds(10),
        });

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetCreditsAsync(Ct));

        Assert.Equal(3, counter.Count);
    }

    [Fact]
    public async Task SubmitAsync_ConnectionRefused_IsRetriedBecauseNothingWasSent()
    {
        var counter = new CountingHandler(new SocketsHttpHandler());
        using var http = new HttpClient(counter);
        using var client = new Sam3Client(http, new Sam3ClientOptions
        {
            ApiKey = "k",
            BaseAddress = new Uri("http://127.0.0.1:1/"),
            MaxAttempts = 2,
            InitialRetryDelay = TimeSpan.FromMilliseconds(10),
        });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SubmitAsync(Request(), Ct));

        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
        Assert.Equal(2, counter.Count);
    }

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _count;

        public int Count => _count;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
