using System.Threading.Channels;

namespace Sam3Serve.Engine.Onnx;

/// <summary>
/// Dedicated threads that run the engine's requests, so a minute-long model pass never holds a thread-pool (request)
/// thread: callers wait for a free thread asynchronously, in arrival order. The thread count bounds the model work
/// running at once, as <see cref="ModelRunGate"/> bounds single runs. Disposing refuses new work and waits for the
/// work already handed over.
/// </summary>
internal sealed class ModelThreads : IDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions
    {
        SingleReader = false,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });
    private readonly Thread[] _threads;
    private int _disposed;

    /// <summary>Starts <paramref name="count"/> background threads named <c>sam3-model-N</c>.</summary>
    public ModelThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"sam3-model-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>The number of threads.</summary>
    public int Count => _threads.Length;

    /// <summary>
    /// Runs <paramref name="work"/> on one of the threads. Cancelled while waiting, it never starts; once started, it
    /// sees <paramref name="cancellationToken"/> itself. Throws <see cref="ObjectDisposedException"/> after disposal.
    /// </summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var item = new WorkItem<T>(work, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            throw new ObjectDisposedException(nameof(ModelThreads), "the engine is disposed; it takes no new work");
        }
        return item.Completion.Task;
    }

    /// <summary>Refuses new work, lets the threads finish what was handed over, and waits for them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _queue.Writer.TryComplete();
        foreach (var thread in _threads)
        {
            if (thread != Thread.CurrentThread)
            {
                thread.Join();
            }
        }
    }

    private void Loop()
    {
        var reader = _queue.Reader;
        // Blocking here is what these threads are for: they belong to the model, not to the thread pool.
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                item.Execute();
            }
        }
    }

    private abstract class WorkItem
    {
        public abstract void Execute();
    }

    private sealed class WorkItem<T>(Func<T> work, CancellationToken cancellationToken) : WorkItem
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Execute()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                Completion.TrySetResult(work());
            }
            catch (OperationCanceledException e) when (e.CancellationToken == cancellationToken || cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
            }
        }
    }
}
