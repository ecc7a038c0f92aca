namespace Sam3Serve.Server;

/// <summary>
/// An exclusive lock file in the data dir, held for the server's lifetime: the embedded store assumes
/// one server per data dir (it requeues every PROCESSING job at startup), so a second one must not start.
/// The keys commands do not take it; they may run beside the server.
/// </summary>
internal sealed class DataDirLock : IDisposable
{
    private readonly FileStream _stream;

    private DataDirLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock or throws with a message that says which directory is busy.</summary>
    public static DataDirLock Acquire(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, "server.lock");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new DataDirLock(stream);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"another sam3serve server is using the data dir {Path.GetFullPath(dataDir)}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
