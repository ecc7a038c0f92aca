using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Processing;

namespace Sam3Serve.Server.Lifecycle;

/// <summary>
/// Runs a /v1 request on this process's model. The run keeps its work slot until the engine returns, even when the
/// caller stops waiting, so the model never runs more than --workers requests at once.
/// </summary>
internal sealed class InProcessSyncRunner(ISegmentationEngine engine, SegmentationPipeline pipeline, WorkSlots slots) : ISyncRunner
{
    /// <inheritdoc />
    public bool ThroughQueue => false;

    /// <inheritdoc />
    public bool IsReady => engine.IsReady;

    /// <inheritdoc />
    public async Task<RunOutcome> RunAsync(NewJob job, SegmentationRequest request, ImageReference image, CancellationToken deadline)
    {
        using (await slots.AcquireAsync(deadline))
        {
            try
            {
                return RunOutcome.Completed(await pipeline.RunAsync(request, image, deadline));
            }
            catch (PipelineFailureException e)
            {
                return RunOutcome.Failed(e.Failure);
            }
        }
    }
}
