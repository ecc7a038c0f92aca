using System.Text.Json;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Output;
using Sam3Serve.Server.Processing;

namespace Sam3Serve.Server.Lifecycle;

/// <summary>
/// Answers a /v1 request in a process that has no model (<c>--role api</c>): the request is submitted to the
/// shared queue like a /v2 one; this waits for a worker to end it, then reads the result and its media back.
/// </summary>
internal sealed class QueuedSyncRunner(IJobStore jobs, TimeProvider time) : ISyncRunner
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public bool ThroughQueue => true;

    /// <inheritdoc />
    public bool IsReady => true;

    /// <inheritdoc />
    public async Task<RunOutcome> RunAsync(NewJob job, SegmentationRequest request, ImageReference image, CancellationToken deadline)
    {
        var delay = FirstPoll;
        while (true)
        {
            await Task.Delay(delay, time, deadline);
            delay = TimeSpan.FromMilliseconds(Math.Min(LongestPoll.TotalMilliseconds, delay.TotalMilliseconds * 1.5));
            var record = await jobs.GetAsync(job.Id, deadline);
            if (record is null)
            {
                return RunOutcome.Failed(RequestFailure.Of(FailureKind.Internal, "the request disappeared from the store before it finished"));
            }
            switch (record.Status)
            {
                case JobStatus.Completed:
                    var output = JsonSerializer.Deserialize<OutputObject>(record.OutputJson!, JsonOptions.Web)!;
                    var media = new List<MediaFile>();
                    foreach (var name in OutputLinks.MediaNames(output))
                    {
                        var bytes = await jobs.GetMediaAsync(job.Id, name, deadline);
                        if (bytes is null)
                        {
                            return RunOutcome.Failed(RequestFailure.Of(FailureKind.Internal, $"result image {name} is missing from the store"));
                        }
                        media.Add(new MediaFile(name, bytes));
                    }
                    var metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(record.MetricsJson) ?? [];
                    return RunOutcome.Completed(new PipelineResult(new RenderedOutput(output, media), metrics));
                case JobStatus.Failed:
                    return RunOutcome.Failed(new RequestFailure(record.Failure ?? JobFailure.Of(FailureKind.Internal), record.Error ?? "the request failed"));
            }
        }
    }
}
