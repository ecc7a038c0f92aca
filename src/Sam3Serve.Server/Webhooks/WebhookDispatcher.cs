using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs.Webhooks;
using Sam3Serve.Server.Observability;

namespace Sam3Serve.Server.Webhooks;

/// <summary>
/// Sends the webhook outbox: leases a due message, POSTs it signed, and removes it on a 2xx
/// answer; anything else, or no answer within <see cref="ServerOptions.WebhookTimeout"/>, is retried after
/// the next delay of <see cref="ServerOptions.WebhookRetryDelays"/>, and given up (logged) once they are
/// used up. Every process runs one; the lease keeps two from sending the same attempt, and a message whose
/// sender died is sent again when its lease runs out. Connections go through the image URLs' address guard.
/// </summary>
internal sealed partial class WebhookDispatcher : BackgroundService
{
    private const int MaxConcurrent = 8;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    private readonly IWebhookOutbox _outbox;
    private readonly WebhookSigner _signer;
    private readonly WebhookSignal _signal;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly HttpClient _client;
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);

    /// <summary>Creates the sender; its connections obey <paramref name="fetcher"/>'s guard and allow-list.</summary>
    public WebhookDispatcher(IWebhookOutbox outbox, WebhookSigner signer, WebhookSignal signal, ImageFetcher fetcher,
        ServerOptions options, TimeProvider time, ServerMetrics metrics, ILogger<WebhookDispatcher> logger)
    {
        _metrics = metrics;
        _outbox = outbox;
        _signer = signer;
        _signal = signal;
        _options = options;
        _time = time;
        _logger = logger;
        _client = new HttpClient(fetcher.Guard.CreateHandler(Timeout, "webhook URL")) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Sam3Serve-Webhooks/1.0");
    }

    private TimeSpan Timeout => _options.WebhookTimeout;

    // Longer than one attempt can take, so a live sender never loses its message to another.
    private TimeSpan Lease => Timeout + TimeSpan.FromSeconds(20);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ResolveSecretAsync(stoppingToken);
        var inFlight = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _slots.WaitAsync(stoppingToken);
                LeasedWebhook? leased;
                try
                {
                    leased = await _outbox.LeaseNextWebhookAsync(Lease, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _slots.Release();
                    LogStoreFault(_logger, e);
                    await Task.Delay(IdlePoll, _time, stoppingToken);
                    continue;
                }
                if (leased is null)
                {
                    _slots.Release();
                    await _signal.WaitAsync(IdlePoll, stoppingToken);
                    continue;
                }
                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(Task.Run(async () =>
                {
                    try
                    {
                        await DeliverAsync(leased);
                    }
                    finally
                    {
                        _slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: attempts in flight finish (each is bounded by the timeout).
        }
        await Task.WhenAll(inFlight);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _client.Dispose();
        _slots.Dispose();
        base.Dispose();
    }

    private async Task ResolveSecretAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await _signer.GetKeyAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is not reachable yet (a Redis restart): messages wait in the outbox meanwhile.
                LogStoreFault(_logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken);
            }
        }
    }

    /// <summary>One attempt; never throws (a store failure leaves the message to be retried when its lease ends).</summary>
    private async Task DeliverAsync(LeasedWebhook leased)
    {
        var message = leased.Message;
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = message.RequestId });
        string? failure;
        try
        {
            failure = await PostAsync(message);
        }
        catch (Exception e)
        {
            failure = $"internal error ({e.GetType().Name})";
            LogSendFault(_logger, e, message.Id);
        }
        try
        {
            var attempt = message.Attempts + 1;
            if (failure is null)
            {
                await _outbox.CompleteWebhookAsync(leased, CancellationToken.None);
                _metrics.WebhookAttempts.WithLabels("delivered").Inc();
                LogDelivered(_logger, message.Id, attempt);
            }
            else if (attempt > _options.WebhookRetryDelays.Count)
            {
                await _outbox.CompleteWebhookAsync(leased, CancellationToken.None);
                _metrics.WebhookAttempts.WithLabels("given_up").Inc();
                LogGaveUp(_logger, message.Id, attempt, failure);
            }
            else
            {
                var delay = _options.WebhookRetryDelays[attempt - 1];
                await _outbox.RetryWebhookAsync(leased, delay, failure, CancellationToken.None);
                _metrics.WebhookAttempts.WithLabels("retried").Inc();
                LogRetrying(_logger, message.Id, attempt, failure, delay.TotalSeconds);
            }
        }
        catch (Exception e)
        {
            LogStoreFault(_logger, e);
        }
    }

    /// <summary>POSTs the message; null on a 2xx answer, else why it failed.</summary>
    private async Task<string?> PostAsync(WebhookRecord message)
    {
        using var timeout = new CancellationTokenSource(Timeout, _time);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, message.Url)
        {
            Content = new StringContent(message.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        foreach (var (name, value) in await _signer.HeadersAsync(message, timestamp, timeout.Token))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return status is >= 200 and <= 299 ? null : $"answered {status.ToString(CultureInfo.InvariantCulture)}";
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return $"no answer within {_options.WebhookTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }
        catch (HttpRequestException e)
        {
            return Refusal(e)?.Message ?? $"could not be reached: {e.Message}";
        }
    }

    private static ImageInputException? Refusal(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is ImageInputException found)
            {
                return found;
            }
        }
        return null;
    }

    [LoggerMessage(EventId = 71, Level = LogLevel.Information, Message = "Webhook {WebhookId} delivered on attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string webhookId, int attempt);

    [LoggerMessage(EventId = 72, Level = LogLevel.Warning, Message = "Webhook {WebhookId} attempt {Attempt} failed ({Failure}); retrying in {Seconds} s")]
    private static partial void LogRetrying(ILogger logger, string webhookId, int attempt, string failure, double seconds);

    [LoggerMessage(EventId = 73, Level = LogLevel.Error, Message = "Webhook {WebhookId} given up after {Attempt} attempts; last failure: {Failure}")]
    private static partial void LogGaveUp(ILogger logger, string webhookId, int attempt, string failure);

    [LoggerMessage(EventId = 74, Level = LogLevel.Error, Message = "Webhook outbox store failure; retrying")]
    private static partial void LogStoreFault(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 75, Level = LogLevel.Error, Message = "Unexpected failure sending webhook {WebhookId}")]
    private static partial void LogSendFault(ILogger logger, Exception exception, string webhookId);
}
