using Sam3Serve.Contracts.Inference;

namespace Sam3Serve.Server.Workers;

/// <summary>
/// Loads and warms the model in the background after the HTTP listener is up, so /health/live answers
/// at once and /health/ready turns true when the engine is ready. A failed load stops the process.
/// </summary>
internal sealed partial class EngineInitializer(ISegmentationEngine engine, IHostApplicationLifetime lifetime, ILogger<EngineInitializer> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await engine.InitializeAsync(stoppingToken);
            LogReady(logger);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogFailed(logger, e);
            Environment.ExitCode = 3;
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Model loaded and warmed up; ready")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(EventId = 41, Level = LogLevel.Critical, Message = "Model failed to load; stopping")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
