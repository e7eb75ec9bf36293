using System.Security.Cryptography;
using System.Text.Json;

namespace Hearth.Store;

/// <summary>One download in <c>partial/</c>: the bytes so far (<c>NAME.partial</c>, held open without sharing so a
/// second pull of the same file is refused) and, when the remote gave a validator, a small sidecar
/// (<c>NAME.partial.json</c>: URL, ETag or Last-Modified, total size) that makes the bytes resumable with
/// <c>If-Range</c>. Bytes without a sidecar are never resumed: the next attempt starts over.</summary>
internal sealed class PartialDownload : IAsyncDisposable
{
    internal sealed record Sidecar(string Url, string Validator, long? Total);

    private readonly string _sidecarPath;
    private readonly Uri _url;

    private PartialDownload(string path, FileStream stream, Uri url)
    {
        Path = path;
        Stream = stream;
        _url = url;
        _sidecarPath = path + ".json";
    }

    public string Path { get; }
    public FileStream Stream { get; }

    /// <summary>The validator recorded for the bytes on disk (null: they cannot be resumed).</summary>
    public string? Validator { get; private set; }

    /// <summary>Opens (creating) the partial file for a download; named by the expected digest when known, else by the URL.</summary>
    public static PartialDownload Open(ModelStore store, RemoteFile file)
    {
        string name = file.Digest is { } d
            ? BlobDigest.FileName(d) + ".partial"
            : "url-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(file.Url.AbsoluteUri)))[..32] + ".partial";
        var path = System.IO.Path.Combine(store.PartialDir, name);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        }
        catch (IOException e) when (!DiskSpace.IsFull(e))
        {
            throw new ModelStoreException($"another pull of {file.FileName} is in progress", e, StoreFailure.Conflict);
        }
        var partial = new PartialDownload(path, stream, file.Url);
        partial.LoadSidecar(file.Size);
        return partial;
    }

    /// <summary>Bytes already on disk that may be resumed (0 when there is nothing resumable).</summary>
    public long Resumable => Validator is null ? 0 : Stream.Length;

    private void LoadSidecar(long? expectedSize)
    {
        Sidecar? s = null;
        try
        {
            if (File.Exists(_sidecarPath)) s = JsonSerializer.Deserialize(File.ReadAllBytes(_sidecarPath), SidecarJsonContext.Default.Sidecar);
        }
        catch (JsonException)
        {
            s = null; // a damaged sidecar: start over
        }
        var usable = s is not null && s.Url == _url.AbsoluteUri && s.Validator.Length > 0
                     && (expectedSize is null || s.Total is null || s.Total == expectedSize) && Stream.Length <= (s.Total ?? long.MaxValue);
        Validator = usable ? s!.Validator : null;
        if (!usable && Stream.Length > 0) Truncate();
    }

    /// <summary>Records the validator the remote sent with the bytes about to be written (null: not resumable).</summary>
    public void Remember(string? validator, long? total)
    {
        Validator = validator;
        if (validator is null) File.Delete(_sidecarPath);
        else AtomicFile.WriteAllBytes(_sidecarPath, JsonSerializer.SerializeToUtf8Bytes(new Sidecar(_url.AbsoluteUri, validator, total), SidecarJsonContext.Default.Sidecar));
    }

    /// <summary>Drops the bytes on disk (the remote changed, or ignored the range).</summary>
    public void Truncate()
    {
        Stream.SetLength(0);
        Stream.Seek(0, SeekOrigin.Begin);
    }

    /// <summary>Whether the bytes on disk are worth keeping after a failure: some were written and they can be resumed.</summary>
    public bool KeepAfterFailure => Validator is not null && Stream.Length > 0;

    /// <summary>Removes the partial file and its sidecar (after <see cref="DisposeAsync"/>).</summary>
    public void Delete()
    {
        File.Delete(Path);
        File.Delete(_sidecarPath);
    }

    /// <summary>Moves the finished bytes into the blobs (after <see cref="DisposeAsync"/>) and removes the sidecar.</summary>
    public void Publish(string blobPath)
    {
        AtomicFile.Publish(Path, blobPath);
        File.Delete(_sidecarPath);
    }

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}

/// <summary>Recognises "no space left on device" among I/O errors.</summary>
internal static class DiskSpace
{
    // ENOSPC is 28 on Linux and macOS; ERROR_DISK_FULL (0x70) and ERROR_HANDLE_DISK_FULL (0x27) on Windows.
    public static bool IsFull(IOException e) => e.HResult == 28 || (e.HResult & 0xFFFF) is 0x70 or 0x27;

    public static ModelStoreException Error(string storeRoot, IOException e) =>
        new($"not enough disk space for the download in {storeRoot} ({e.Message}); nothing was added to the store — free some space and pull again",
            e, StoreFailure.DiskFull);
}
