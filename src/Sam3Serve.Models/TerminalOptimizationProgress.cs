namespace Sam3Serve.Models;

/// <summary>
/// Shows <see cref="BundleOptimizer"/> progress: one bar rewritten with <c>\r</c> when <paramref name="interactive"/>,
/// otherwise one line per file when it starts and when it is done.
/// </summary>
/// <param name="writer">Where to write (usually <see cref="Console.Out"/>).</param>
/// <param name="interactive">Rewrite one line instead of printing many.</param>
public sealed class TerminalOptimizationProgress(TextWriter writer, bool interactive) : IProgress<OptimizationProgress>
{
    private readonly Lock _gate = new();
    private int _lastLength;

    /// <inheritdoc />
    public void Report(OptimizationProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var line = BundleOptimizer.Format(value);
            if (interactive)
            {
                writer.Write('\r');
                writer.Write(line.Length < _lastLength ? line.PadRight(_lastLength) : line);
                _lastLength = value.Finished ? 0 : line.Length;
                if (value.Finished)
                {
                    writer.WriteLine();
                }
                writer.Flush();
            }
            else if (value.Finished || value.Done == 0)
            {
                writer.WriteLine(line);
            }
        }
    }
}
