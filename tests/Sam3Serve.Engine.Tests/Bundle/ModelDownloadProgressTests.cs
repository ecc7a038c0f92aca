using Sam3Serve.Models;
using Xunit;

namespace Sam3Serve.Engine.Tests.Bundle;

public sealed class ModelDownloadProgressTests
{
    private const long Mb = 1024 * 1024;

    [Fact]
    public void Report_Redirected_PrintsStageChangesAndTenPercentSteps()
    {
        var writer = new StringWriter { NewLine = "\n" };
        var progress = new TerminalDownloadProgress(writer, interactive: false);

        for (var done = 0L; done <= 100 * Mb; done += 5 * Mb)
        {
            progress.Report(new DownloadProgress("a.onnx", 1, 2, DownloadStage.Downloading, done, 100 * Mb, 10 * Mb));
        }
        progress.Report(new DownloadProgress("a.onnx", 1, 2, DownloadStage.Completed, 100 * Mb, 100 * Mb, 0));

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length); // 0 %, 10 % … 100 %, done
        Assert.DoesNotContain('\r', writer.ToString());
        Assert.StartsWith("[1/2] a.onnx  50.0 MB / 100.0 MB  50.0%  10.0 MB/s  ETA 0:05", lines[5], StringComparison.Ordinal);
        Assert.Equal("[1/2] a.onnx  done, 100.0 MB", lines[^1]);
    }

    [Fact]
    public void Report_Interactive_RewritesOneLineAndEndsItOnCompletion()
    {
        var writer = new StringWriter { NewLine = "\n" };
        var progress = new TerminalDownloadProgress(writer, interactive: true);

        progress.Report(new DownloadProgress("a.onnx", 1, 1, DownloadStage.Downloading, 10 * Mb, 100 * Mb, 1 * Mb));
        progress.Report(new DownloadProgress("a.onnx", 1, 1, DownloadStage.Downloading, 20 * Mb, 100 * Mb, 1 * Mb));
        progress.Report(new DownloadProgress("a.onnx", 1, 1, DownloadStage.Completed, 100 * Mb, 100 * Mb, 0));

        var text = writer.ToString();
        Assert.Equal(3, text.Count(c => c == '\r'));
        Assert.Equal(1, text.Count(c => c == '\n'));
        Assert.Contains("ETA 1:20", text, StringComparison.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        // The shorter final line is padded so nothing of the longer progress line stays visible.
        var last = text[(text.LastIndexOf('\r') + 1)..^1];
        Assert.Equal("[1/1] a.onnx  done, 100.0 MB", last.TrimEnd(' '));
        Assert.True(last.Length >= text[1..text.IndexOf('\r', 1)].Length);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1536L, "1.5 KB")]
    [InlineData(3L * 1024 * 1024 * 1024, "3.0 GB")]
    public void Bytes_Value_UsesBinaryUnits(long bytes, string expected)
    {
        Assert.Equal(expected, TerminalDownloadProgress.Bytes(bytes));
    }

    [Fact]
    public void Remaining_KnownRateAndSize_IsBytesLeftOverRate()
    {
        var p = new DownloadProgress("a", 1, 1, DownloadStage.Downloading, 40, 100, 20);

        Assert.Equal(TimeSpan.FromSeconds(3), p.Remaining);
        Assert.Null((p with { TotalBytes = null }).Remaining);
        Assert.Null((p with { BytesPerSecond = 0 }).Remaining);
    }
}
