namespace Hearth.Store;

/// <summary>What kind of store failure happened, so that the HTTP layer can answer with the right status.</summary>
public enum StoreFailure
{
    /// <summary>The request cannot work as given: a bad name, URL or file, a checksum mismatch (400).</summary>
    Invalid,
    /// <summary>The model or the remote file does not exist (404).</summary>
    NotFound,
    /// <summary>Another operation holds what this one needs, e.g. the same download in progress (409).</summary>
    Conflict,
    /// <summary>The remote side failed: unreachable, refused, an HTTP error, a truncated download (400: the
    /// request named a source that cannot deliver; the message says why).</summary>
    Remote,
    /// <summary>The disk is full; the store is left as it was (507).</summary>
    DiskFull,
}

/// <summary>A store operation failed for a reason the user can act on (bad file, checksum mismatch, download error).</summary>
public sealed class ModelStoreException(string message, Exception? inner = null, StoreFailure kind = StoreFailure.Invalid) : Exception(message, inner)
{
    public ModelStoreException(string message, StoreFailure kind) : this(message, null, kind) { }

    public StoreFailure Kind { get; } = kind;
}

/// <summary>A model name that is not of the form name[:tag] (an <see cref="ArgumentException"/>, so callers that
/// treat bad arguments alike keep working).</summary>
public sealed class InvalidModelNameException(string message) : ArgumentException(message);

/// <summary>No model of that name exists (HTTP 404).</summary>
public sealed class ModelNotFoundException(string name) : Exception($"model '{name}' not found")
{
    public string Name { get; } = name;
}
