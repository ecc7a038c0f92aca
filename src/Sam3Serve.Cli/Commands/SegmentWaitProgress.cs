using System.Diagnostics;
using System.Globalization;
using Sam3Serve.Client;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// The wait's progress for <c>segment --server</c>: on a terminal one line rewritten in place ("QUEUED 0.5 s");
/// redirected, a plain line whenever the status changes and every 10 s while it does not, so logs stay short.
/// </summary>
internal sealed class SegmentWaitProgress(TextWriter writer, bool live) : IProgress<Sam3JobStatus>
{
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(10);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string? _lastStatus;
    private TimeSpan _lastLine;
    private int _width;

    public void Report(Sam3JobStatus value)
    {
        var elapsed = _clock.Elapsed;
        var line = $"request {value.RequestId}: {value.RawStatus} {elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s";
        if (live)
        {
            writer.Write("\r" + line.PadRight(_width));
            _width = line.Length;
            writer.Flush();
            return;
        }
        if (value.RawStatus != _lastStatus || elapsed - _lastLine >= PlainEvery)
        {
            writer.WriteLine(line);
            _lastStatus = value.RawStatus;
            _lastLine = elapsed;
        }
    }

    /// <summary>Ends the live line, so what follows starts on a fresh one.</summary>
    public void Finish()
    {
        if (live && _width > 0)
        {
            writer.WriteLine();
        }
    }
}
