using System.Globalization;

namespace Sam3Serve.Models;

/// <summary>
/// Shows pull progress on a terminal: one line rewritten with <c>\r</c> when <paramref name="interactive"/>
/// (a console that is not redirected), otherwise plain lines at each stage change and every 10 % of a file.
/// </summary>
/// <param name="writer">Where to write (usually <see cref="Console.Out"/>).</param>
/// <param name="interactive">Rewrite one line instead of printing many.</param>
public sealed class TerminalDownloadProgress(TextWriter writer, bool interactive) : IProgress<DownloadProgress>
{
    private readonly Lock _gate = new();
    private int _lastLength;
    private string? _lastFile;
    private DownloadStage? _lastStage;
    private int _lastDecile = -1;

    /// <summary>For <see cref="Console.Out"/>, interactive unless output is redirected.</summary>
    public static TerminalDownloadProgress ForConsole() => new(Console.Out, !Console.IsOutputRedirected);

    /// <inheritdoc />
    public void Report(DownloadProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var line = Format(value);
            var final = value.Stage is not (DownloadStage.Downloading or DownloadStage.Verifying);
            if (interactive)
            {
                var padded = line.Length < _lastLength ? line.PadRight(_lastLength) : line;
                writer.Write('\r');
                writer.Write(padded);
                _lastLength = final ? 0 : line.Length;
                if (final)
                {
                    writer.WriteLine();
                }
                writer.Flush();
                return;
            }

            var decile = value.TotalBytes is > 0 ? (int)(value.BytesDone * 10 / value.TotalBytes.Value) : -1;
            var changed = value.File != _lastFile || value.Stage != _lastStage;
            if (changed || (value.Stage == DownloadStage.Downloading && decile != _lastDecile))
            {
                writer.WriteLine(line);
            }
            _lastFile = value.File;
            _lastStage = value.Stage;
            _lastDecile = decile;
        }
    }

    /// <summary>The text shown for one snapshot.</summary>
    public static string Format(DownloadProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var head = string.Create(CultureInfo.InvariantCulture, $"[{p.FileIndex}/{p.FileCount}] {p.File}");
        return p.Stage switch
        {
            DownloadStage.Downloading => string.Create(CultureInfo.InvariantCulture,
                $"{head}  {Bytes(p.BytesDone)}{(p.TotalBytes is { } t ? $" / {Bytes(t)} {Percent(p.BytesDone, t)}" : "")}  {Bytes((long)p.BytesPerSecond)}/s  ETA {Eta(p.Remaining)}"),
            DownloadStage.Verifying => $"{head}  verifying sha256 of {Bytes(p.BytesDone)}",
            DownloadStage.Completed => $"{head}  done, {Bytes(p.BytesDone)}{(p.Message is null ? "" : $" ({p.Message})")}",
            DownloadStage.UpToDate => $"{head}  already installed, unchanged",
            DownloadStage.Retrying => $"{head}  retrying ({p.Message})",
            _ => head,
        };
    }

    private static string Percent(long done, long total) =>
        total > 0 ? string.Create(CultureInfo.InvariantCulture, $"{done * 100.0 / total,5:0.0}%") : "";

    private static string Eta(TimeSpan? remaining) => remaining is { } r
        ? r.TotalHours >= 1 ? r.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : r.ToString(@"m\:ss", CultureInfo.InvariantCulture)
        : "--:--";

    /// <summary>A byte count in B, KB, MB or GB (powers of 1024).</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
