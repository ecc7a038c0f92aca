using Sam3Serve.Contracts.Requests;

namespace Sam3Serve.Contracts.Inference;

/// <summary>
/// The loaded model cannot run the request's mode (e.g. a bundle without the tracker files and an interactive
/// request). The message is meant for the client: it names the mode, the missing files and what does work, and
/// carries no server paths.
/// </summary>
public sealed class ModeUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModeUnavailableException(SegmentationMode mode, string message)
        : base(message) => Mode = mode;

    /// <summary>The mode asked for.</summary>
    public SegmentationMode Mode { get; }
}
