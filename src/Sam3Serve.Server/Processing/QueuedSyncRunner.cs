using System.Text.Json;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Errors;

namespace Sam3Serve.Server.Processing;

/// <summary>
/// Answers a /v1 request in a process that has no model (<c>--role api</c>): the request goes through
/// the shared queue like a /v2 one, and this waits for a worker to finish it, then reads the result
/// and its media back from the store.
/// </summary>
public sealed class QueuedSyncRunner(IJobStore jobs, JobSubmission submission)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Enqueues <paramref name="job"/> and waits until it finishes or <paramref name="cancellationToken"/> fires.</summary>
    public async Task<PipelineResult> RunAsync(NewJob job, CancellationToken cancellationToken)
    {
        await submission.EnqueueAsync(job);
        var delay = PollInterval;
        while (true)
        {
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 1.5));
            var record = await jobs.GetAsync(job.Id, cancellationToken)
                ?? throw new ApiException(500, "the request disappeared from the store before it finished");
            var metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(record.MetricsJson) ?? [];
            switch (record.Status)
            {
                case JobStatus.Completed:
                    var output = JsonSerializer.Deserialize<OutputObject>(record.OutputJson!, JsonOptions.Web)!;
                    var media = new List<MediaFile>();
                    foreach (var name in Output.OutputLinks.MediaNames(output))
                    {
                        var bytes = await jobs.GetMediaAsync(job.Id, name, cancellationToken)
                            ?? throw new ApiException(500, $"result image {name} is missing from the store");
                        media.Add(new MediaFile(name, bytes));
                    }
                    return new PipelineResult(new RenderedOutput(output, media), metrics);
                case JobStatus.Failed:
                    var code = (int)metrics.GetValueOrDefault(MetricNames.ErrorCode, 500);
                    throw new ApiException(code is >= 400 and < 600 ? code : 500, record.Error ?? "the request failed");
            }
        }
    }
}
