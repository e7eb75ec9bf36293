namespace Hearth.Store;

/// <summary>A cross-process lock: a lock file opened with <see cref="FileShare.None"/>. Other processes (and other
/// threads of this one) that try to open it get an <see cref="IOException"/> and retry until the timeout.</summary>
internal sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    public static StoreLock Acquire(string path, TimeSpan timeout)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + timeout;
        int delayMs = 1;
        while (true)
        {
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Held by another writer: back off briefly (bounded by the deadline).
                Thread.Sleep(delayMs);
                delayMs = Math.Min(delayMs * 2, 50);
            }
            catch (IOException e)
            {
                throw new IOException($"the model store is locked by another process ({path}); gave up after {timeout.TotalSeconds:0} s", e);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
