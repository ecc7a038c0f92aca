namespace Sam3Serve.Client;

/// <summary>
/// A v2 request that the server has queued: its id is known at once; poll it with <see cref="GetStatusAsync"/>,
/// fetch it with <see cref="GetResultAsync"/>, or block until it ends with <see cref="WaitAsync"/>.
/// </summary>
public sealed class Sam3Job
{
    private readonly Sam3Client _client;

    internal Sam3Job(Sam3Client client, string requestId, string submitStatus, Uri pollUrl, Uri statusUrl, Uri responseUrl)
    {
        _client = client;
        RequestId = requestId;
        SubmitStatus = submitStatus;
        PollUrl = pollUrl;
        StatusUrl = statusUrl;
        ResponseUrl = responseUrl;
    }

    /// <summary><c>request_id</c>: keep it to find the request again with <see cref="Sam3Client.GetJob(string)"/>.</summary>
    public string RequestId { get; }

    /// <summary>The <c>status</c> the submit answer carried (normally <c>QUEUED</c>); empty for a job made from an id.</summary>
    public string SubmitStatus { get; }

    /// <summary><c>poll_url</c>: the legacy <c>/v1/requests/{id}</c> URL (same body as <see cref="ResponseUrl"/>).</summary>
    public Uri PollUrl { get; }

    /// <summary><c>status_url</c>: <c>/v2/requests/{id}/status</c>.</summary>
    public Uri StatusUrl { get; }

    /// <summary><c>response_url</c>: <c>/v2/requests/{id}</c>.</summary>
    public Uri ResponseUrl { get; }

    /// <summary>The current status, without waiting. A FAILED request is returned as a status, not thrown.</summary>
    /// <exception cref="Sam3ApiException">The server answered with an error (e.g. 404 for an unknown or expired id).</exception>
    public Task<Sam3JobStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        _client.GetStatusAsync(this, cancellationToken);

    /// <summary>
    /// The response body: with <see cref="Sam3Result.Output"/> when COMPLETED, without it (and <see cref="Sam3Result.State"/>
    /// Queued or Processing) while the request is pending.
    /// </summary>
    /// <exception cref="InferenceFailedException">The request ended FAILED.</exception>
    /// <exception cref="Sam3ApiException">The server answered with an error.</exception>
    public Task<Sam3Result> GetResultAsync(CancellationToken cancellationToken = default) =>
        _client.GetResultAsync(this, cancellationToken);

    /// <summary>
    /// Polls the status every <paramref name="interval"/> (default 1 s) until COMPLETED, then returns the result; reports
    /// each status to <paramref name="progress"/>.
    /// </summary>
    /// <param name="timeout">How long to wait in all (default 600 s, as Segmind's SDK).</param>
    /// <param name="interval">Time between polls (default 1 s).</param>
    /// <param name="progress">Receives every status polled.</param>
    /// <param name="cancellationToken">Stops the wait (the request goes on on the server).</param>
    /// <exception cref="InferenceFailedException">The request ended FAILED.</exception>
    /// <exception cref="InferenceTimeoutException">The timeout passed first.</exception>
    /// <exception cref="Sam3ApiException">A poll answered with an error.</exception>
    public Task<Sam3Result> WaitAsync(
        TimeSpan? timeout = null,
        TimeSpan? interval = null,
        IProgress<Sam3JobStatus>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(600);
        var every = interval ?? TimeSpan.FromSeconds(1);
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero, nameof(timeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero, nameof(interval));
        return _client.WaitAsync(this, wait, every, progress, cancellationToken);
    }

    /// <summary>
    /// Cancels the request (<c>POST /v2/requests/{id}/cancel</c>, Sam3Serve extension): queued, it ends at once;
    /// running, at the model's next stage boundary. It ends FAILED with error <c>"cancelled"</c> and is not charged.
    /// </summary>
    /// <returns>The status the server answered (FAILED, error "cancelled").</returns>
    /// <exception cref="Sam3ApiException">404 for an unknown or expired id, 409 when the request had already ended.</exception>
    public Task<Sam3JobStatus> CancelAsync(CancellationToken cancellationToken = default) =>
        _client.CancelAsync(this, cancellationToken);

    /// <summary>The request id.</summary>
    public override string ToString() => RequestId;
}
