using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Tests.Support;
using Sam3Serve.Fixture;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Modes;

public sealed class EngineThreadingTests
{
    [Fact]
    public async Task SegmentAsync_RunsOnTheEnginesOwnThreads_NotTheCallers()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        using var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, WarmUp = false });
        var ct = TestContext.Current.CancellationToken;
        await engine.InitializeAsync(ct);
        var stages = new ThreadRecorder();

        var result = await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] },
            SyntheticImage.Create(64, 48, SyntheticImage.Red), stages, ct);

        Assert.Single(result.Objects);
        // Stages past preprocessing (encoder, text, decoder) are reported from the thread that runs the model.
        Assert.Contains(stages.Names, n => n.StartsWith("sam3-model-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispose_RefusesNewRequests()
    {
        using var dir = new TempDir();
        FixtureBundle.Write(dir.Path);
        var engine = new Sam3Engine(new EngineOptions { ModelDir = dir.Path, WarmUp = false });
        var ct = TestContext.Current.CancellationToken;
        await engine.InitializeAsync(ct);
        engine.Dispose();

        Assert.False(engine.IsReady);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
            await engine.SegmentAsync(new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] }, SyntheticImage.Create(8, 8, SyntheticImage.Red), ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => engine.InitializeAsync(ct));
    }

    [Fact]
    public async Task ModelThreads_Dispose_WaitsForWorkHandedOver_AndRefusesMore()
    {
        var threads = new ModelThreads(1);
        using var release = new ManualResetEventSlim();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = threads.RunAsync(() => { started.SetResult(); release.Wait(); return 1; }, CancellationToken.None);
        var queued = threads.RunAsync(() => 2, CancellationToken.None);
        await started.Task;

        var disposing = Task.Run(threads.Dispose, TestContext.Current.CancellationToken);
        // Once disposal has begun (on the other thread), new work is refused while the first item still runs.
        Assert.True(SpinWait.SpinUntil(() => Refuses(threads), TimeSpan.FromSeconds(10)));
        Assert.False(disposing.IsCompleted);
        release.Set();
        await disposing;

        Assert.Equal(1, await running);
        Assert.Equal(2, await queued);
    }

    [Fact]
    public async Task ModelThreads_CancelledWhileWaiting_NeverStarts()
    {
        using var threads = new ModelThreads(1);
        using var release = new ManualResetEventSlim();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var busy = threads.RunAsync(() => { started.SetResult(); release.Wait(); return 0; }, CancellationToken.None);
        await started.Task;
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var waiting = threads.RunAsync(() => ran = true, cancel.Token);

        await cancel.CancelAsync();
        release.Set();
        await busy;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.False(ran);
    }

    private static bool Refuses(ModelThreads threads)
    {
        try
        {
            _ = threads.RunAsync(() => 3, CancellationToken.None);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private sealed class ThreadRecorder : IProgress<string>
    {
        private readonly List<string> _names = [];

        public IReadOnlyList<string> Names
        {
            get
            {
                lock (_names)
                {
                    return [.. _names];
                }
            }
        }

        public void Report(string value)
        {
            lock (_names)
            {
                _names.Add(Thread.CurrentThread.Name ?? "");
            }
        }
    }
}
