using Sam3Serve.Jobs.Queue;
using Sam3Serve.Server.Processing;

namespace Sam3Serve.Server.Lifecycle;

/// <summary>A failure as the client will read it: its kind and status, the message, and the field at fault (if one is).</summary>
/// <param name="Failure">The kind and the client-facing HTTP status.</param>
/// <param name="Message">What went wrong, in words meant for the client.</param>
/// <param name="Field">The request field at fault, when the failure is about one.</param>
internal sealed record RequestFailure(JobFailure Failure, string Message, string? Field = null)
{
    /// <summary>A failure of <paramref name="kind"/> with the status the service gives that kind.</summary>
    public static RequestFailure Of(FailureKind kind, string message, string? field = null) => new(JobFailure.Of(kind), message, field);
}

/// <summary>Whether the price of a request could be held on its key.</summary>
/// <param name="Held">True when the credits are held (settled when the request ends).</param>
/// <param name="Available">The key's available credits when they were not enough (null for an unlimited key).</param>
internal readonly record struct HoldOutcome(bool Held, decimal? Available);

/// <summary>What became of a queued request handed to the store.</summary>
internal enum SubmitOutcome
{
    /// <summary>Stored durably; a worker will run it.</summary>
    Accepted,
    /// <summary>Certainly not stored (the store failed and the id is not there); its hold was returned.</summary>
    NotStored,
    /// <summary>The store failed and could not be asked again in time: it may or may not be stored; the hold stays.</summary>
    Unknown,
}

/// <summary>How a /v1 request ended: a result, or a typed failure (never both).</summary>
internal sealed record RunOutcome
{
    private RunOutcome(PipelineResult? result, RequestFailure? failure, SubmitOutcome submit)
    {
        Result = result;
        Failure = failure;
        Submit = submit;
    }

    /// <summary>The rendered output and metrics, when it completed.</summary>
    public PipelineResult? Result { get; }

    /// <summary>Why it failed, when it did.</summary>
    public RequestFailure? Failure { get; }

    /// <summary>For a run through the queue: <see cref="SubmitOutcome.Accepted"/> unless the store refused it.</summary>
    public SubmitOutcome Submit { get; }

    /// <summary>A completed run.</summary>
    public static RunOutcome Completed(PipelineResult result) => new(result, null, SubmitOutcome.Accepted);

    /// <summary>A failed run.</summary>
    public static RunOutcome Failed(RequestFailure failure) => new(null, failure, SubmitOutcome.Accepted);

    /// <summary>A run through the queue that the store did not (certainly) accept.</summary>
    public static RunOutcome NotSubmitted(SubmitOutcome submit) => new(null, null, submit);
}

/// <summary>What recording a leased job's end did.</summary>
internal enum FinishOutcome
{
    /// <summary>The end is stored; credits, webhook and metrics are done.</summary>
    Finished,
    /// <summary>The lease was lost (cancelled, or taken over): whoever ended the job settled it; nothing changed.</summary>
    LeaseLost,
}

/// <summary>What a cancel did, with the request as it stands afterwards.</summary>
/// <param name="Result">Cancelled now, already ended, or gone.</param>
/// <param name="Job">The request after the call (null when gone).</param>
internal sealed record CancelOutcome(CancelResult Result, JobRecord? Job);

/// <summary>The three ends of a cancel.</summary>
internal enum CancelResult
{
    /// <summary>It was QUEUED or PROCESSING and is now FAILED "cancelled", its hold returned.</summary>
    Cancelled,
    /// <summary>It had already COMPLETED or FAILED; nothing changed.</summary>
    AlreadyEnded,
    /// <summary>Unknown or expired.</summary>
    NotFound,
}
