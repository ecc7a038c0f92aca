using Sam3Serve.Server.Lifecycle;

namespace Sam3Serve.Server.Workers;

/// <summary>Deletes finished requests and their media once their retention has run out, and refreshes the queue gauge.</summary>
internal sealed partial class RetentionSweeper(RequestLifecycle lifecycle, ServerOptions options, TimeProvider time, ILogger<RetentionSweeper> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.SweepInterval < TimeSpan.FromMilliseconds(200) ? TimeSpan.FromMilliseconds(200) : options.SweepInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var purged = await lifecycle.ExpireAsync(stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }
                await Task.Delay(period, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFault(logger, e);
                await Task.Delay(period, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Deleted {Count} expired requests and their media")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "Retention sweep failed; retrying")]
    private static partial void LogFault(ILogger logger, Exception exception);
}
