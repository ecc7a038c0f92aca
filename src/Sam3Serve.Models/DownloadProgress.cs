namespace Sam3Serve.Models;

/// <summary>What a pull is doing to one file.</summary>
public enum DownloadStage
{
    /// <summary>Bytes are arriving.</summary>
    Downloading,
    /// <summary>The sha256 of the stored file is being computed.</summary>
    Verifying,
    /// <summary>The file is complete and verified in the staging folder.</summary>
    Completed,
    /// <summary>An installed copy with the recorded hash was kept.</summary>
    UpToDate,
    /// <summary>A transfer failed and is being resumed.</summary>
    Retrying,
}

/// <summary>A progress snapshot for one file of a pull.</summary>
/// <param name="File">File name.</param>
/// <param name="FileIndex">1-based position in the pull.</param>
/// <param name="FileCount">Files in the pull.</param>
/// <param name="Stage">What is happening.</param>
/// <param name="BytesDone">Bytes stored so far, a resumed prefix included.</param>
/// <param name="TotalBytes">Size announced by the server, when known.</param>
/// <param name="BytesPerSecond">Transfer rate of this attempt (resumed bytes excluded).</param>
/// <param name="Message">Detail for <see cref="DownloadStage.Retrying"/> and <see cref="DownloadStage.Completed"/> (e.g. what a file was derived from).</param>
public sealed record DownloadProgress(
    string File,
    int FileIndex,
    int FileCount,
    DownloadStage Stage,
    long BytesDone,
    long? TotalBytes,
    double BytesPerSecond,
    string? Message = null)
{
    /// <summary>Estimated time left, when size and rate are known.</summary>
    public TimeSpan? Remaining =>
        TotalBytes is { } total && BytesPerSecond > 0 && total >= BytesDone
            ? TimeSpan.FromSeconds((total - BytesDone) / BytesPerSecond)
            : null;
}
