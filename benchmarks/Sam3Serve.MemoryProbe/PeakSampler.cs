using System.Diagnostics;

namespace Sam3Serve.MemoryProbe;

/// <summary>
/// Samples the working set and the managed heap every 10 ms on a dedicated thread (a timer on the thread pool
/// would lag behind a busy request on a small machine) and keeps the maxima.
/// </summary>
internal sealed class PeakSampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public PeakSampler()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "peak-sampler", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Largest Process.WorkingSet64 seen.</summary>
    public long PeakWorkingSet { get; private set; }

    /// <summary>Largest GC.GetTotalMemory(false) seen.</summary>
    public long PeakManagedHeap { get; private set; }

    /// <summary>Samples taken.</summary>
    public int Samples { get; private set; }

    /// <summary>Takes a last sample and stops.</summary>
    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Loop()
    {
        using var process = Process.GetCurrentProcess();
        while (true)
        {
            process.Refresh();
            PeakWorkingSet = Math.Max(PeakWorkingSet, process.WorkingSet64);
            PeakManagedHeap = Math.Max(PeakManagedHeap, GC.GetTotalMemory(false));
            Samples++;
            if (_stop)
            {
                return;
            }
            Thread.Sleep(10);
        }
    }
}
