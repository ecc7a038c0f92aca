using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs.Queue;

namespace Sam3Serve.Server.Lifecycle;

/// <summary>
/// Where a /v1 request runs: in this process (a process with the model) or through the shared queue (an API-only
/// process). The host registers one of the two by role, once.
/// </summary>
internal interface ISyncRunner
{
    /// <summary>True when requests go through the store (the job must be submitted first, and the worker settles it).</summary>
    bool ThroughQueue { get; }

    /// <summary>False while the model in this process is still loading.</summary>
    bool IsReady { get; }

    /// <summary>Runs <paramref name="job"/> (already submitted when <see cref="ThroughQueue"/>) until it ends or <paramref name="deadline"/> fires.</summary>
    Task<RunOutcome> RunAsync(NewJob job, SegmentationRequest request, ImageReference image, CancellationToken deadline);
}
