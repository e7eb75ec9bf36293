using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Hearth.Store;

/// <summary>Downloads one file into the store's blobs, all or nothing:
/// <list type="bullet">
/// <item>the bytes go to <c>partial/</c> (see <see cref="PartialDownload"/>) and reach <c>blobs/</c> only once the size,
/// the sha256 (when the source gives one) and the caller's <c>validate</c> check (e.g. "is a GGUF") have passed;</item>
/// <item>a failed or invalid download leaves nothing behind, except the bytes of an interrupted transfer whose remote
/// gave a validator (ETag or Last-Modified): the next attempt resumes them with <c>Range</c> + <c>If-Range</c>, so a
/// remote file that changed meanwhile is fetched whole again instead of being spliced;</item>
/// <item>a full disk is a <see cref="StoreFailure.DiskFull"/> error and leaves the store as it was.</item>
/// </list>
/// Used for every pull source (Hugging Face, plain URLs, registries).</summary>
internal sealed class BlobDownloader(ModelStore store, HttpClient http)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Downloads <paramref name="file"/> and returns its blob digest.</summary>
    /// <param name="bearerToken">Sent as <c>Authorization: Bearer</c> (only to hosts that should see it).</param>
    /// <param name="validate">Checks the complete file (its path) before it enters the store; throwing rejects it.</param>
    public async Task<string> DownloadAsync(RemoteFile file, string? bearerToken, IProgress<PullProgress>? progress, CancellationToken cancellationToken,
        Action<string>? validate = null)
    {
        if (file.Digest is { } known && File.Exists(store.BlobPath(known)))
        {
            progress?.Report(new PullProgress($"pulling {Short(known)}", known, file.Size, file.Size));
            return known;
        }
        var partial = PartialDownload.Open(store, file);
        string digest;
        var keep = false;
        try
        {
            await using (partial)
            {
                try
                {
                    digest = await FetchAndHashAsync(file, bearerToken, partial, progress, cancellationToken);
                }
                catch (Exception e) when (e is OperationCanceledException or ModelStoreException { Kind: StoreFailure.Remote })
                {
                    keep = partial.KeepAfterFailure; // an interrupted transfer the remote lets us resume
                    if (keep && e is ModelStoreException)
                        throw new ModelStoreException($"{e.Message}; {partial.Stream.Length} bytes are kept, pull again to resume", e, StoreFailure.Remote);
                    throw;
                }
            }
            if (file.Digest != null && digest != file.Digest)
                throw new ModelStoreException($"{file.FileName}: sha256 mismatch (expected {file.Digest}, got {digest}); the download was removed");
            validate?.Invoke(partial.Path);
            partial.Publish(store.BlobPath(digest));
            return digest;
        }
        catch (IOException e) when (DiskSpace.IsFull(e))
        {
            throw DiskSpace.Error(store.Root, e);
        }
        finally
        {
            if (!keep && File.Exists(partial.Path)) partial.Delete();
        }
    }

    private async Task<string> FetchAndHashAsync(RemoteFile file, string? bearerToken, PartialDownload partial, IProgress<PullProgress>? progress,
        CancellationToken cancellationToken)
    {
        string status = $"pulling {(file.Digest is { } d ? Short(d) : file.FileName)}";
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long have = partial.Resumable;
        if (have > 0) await HashExistingAsync(partial.Stream, sha, have, cancellationToken);

        long? total = file.Size;
        if (total is null || have < total)
            total = await FetchAsync(file, bearerToken, partial, sha, have, status, progress, cancellationToken);

        var stream = partial.Stream;
        progress?.Report(new PullProgress("verifying sha256 digest", file.Digest, total, stream.Length));
        if (file.Size is { } expected && stream.Length != expected)
            throw new ModelStoreException($"{file.FileName}: downloaded {stream.Length} bytes, expected {expected}", StoreFailure.Remote);
        if (file.Size is null && total is { } announced && stream.Length != announced)
            throw new ModelStoreException($"{file.FileName}: the download ended after {stream.Length} of {announced} bytes", StoreFailure.Remote);
        await stream.FlushAsync(cancellationToken);
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>GETs the rest of the file (from <paramref name="have"/>, only while the remote still has the same
    /// version), appending to the partial file. Returns the total size when known.</summary>
    private async Task<long?> FetchAsync(RemoteFile file, string? bearerToken, PartialDownload partial, IncrementalHash sha, long have,
        string status, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
        if (bearerToken != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            request.Headers.TryAddWithoutValidation("If-Range", partial.Validator);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ModelStoreException($"cannot download {file.Url}: {e.Message}", e, StoreFailure.Remote);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
                return response.Content.Headers.ContentRange?.Length ?? have; // already complete; the size and digest checks decide
            if (!response.IsSuccessStatusCode)
                throw new ModelStoreException(response.StatusCode switch
                {
                    HttpStatusCode.NotFound => $"{file.Url} not found (HTTP 404)",
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"access to {file.Url} was denied (HTTP {(int)response.StatusCode}); set HF_TOKEN",
                    _ => $"downloading {file.Url} failed: HTTP {(int)response.StatusCode}",
                }, response.StatusCode == HttpStatusCode.NotFound ? StoreFailure.NotFound : StoreFailure.Remote);
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                if (have == 0 || response.Content.Headers.ContentRange?.From != have)
                    throw new ModelStoreException($"{file.Url}: the server answered a range that was not asked for", StoreFailure.Remote);
            }
            else if (have > 0)
            {
                // The remote changed since the partial bytes were fetched (If-Range failed) or ignores ranges: start over.
                partial.Truncate();
                sha.GetHashAndReset();
                have = 0;
            }

            long? total = file.Size ?? (response.Content.Headers.ContentRange?.Length
                ?? (response.Content.Headers.ContentLength is { } len ? len + have : null));
            if (have == 0) partial.Remember(Validator(response), total);
            partial.Stream.Seek(have, SeekOrigin.Begin);
            await CopyAsync(file, response, partial.Stream, sha, have, total, status, progress, cancellationToken);
            return total;
        }
    }

    /// <summary>A validator If-Range may carry: a strong ETag, else Last-Modified; null when the remote gives neither.</summary>
    private static string? Validator(HttpResponseMessage response) =>
        response.Headers.ETag is { IsWeak: false } etag ? etag.ToString()
        : response.Content.Headers.LastModified is { } modified ? modified.ToString("r", System.Globalization.CultureInfo.InvariantCulture)
        : null;

    private static async Task CopyAsync(RemoteFile file, HttpResponseMessage response, FileStream stream, IncrementalHash sha, long have, long? total,
        string status, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            long completed = have;
            var sinceReport = Stopwatch.StartNew();
            progress?.Report(new PullProgress(status, file.Digest, total, completed));
            while (true)
            {
                int n;
                try
                {
                    n = await body.ReadAsync(buffer, cancellationToken);
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    throw new ModelStoreException($"the download of {file.FileName} broke off after {completed} bytes ({e.Message})", e, StoreFailure.Remote);
                }
                if (n == 0) break;
                if (total is { } t && completed + n > t)
                    throw new ModelStoreException($"the server sent more than the expected {t} bytes of {file.FileName}", StoreFailure.Remote);
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken); // a full disk throws IOException here
                sha.AppendData(buffer, 0, n);
                completed += n;
                if (sinceReport.Elapsed >= ProgressInterval)
                {
                    progress?.Report(new PullProgress(status, file.Digest, total, completed));
                    sinceReport.Restart();
                }
            }
            await stream.FlushAsync(cancellationToken);
            progress?.Report(new PullProgress(status, file.Digest, total, completed));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task HashExistingAsync(FileStream stream, IncrementalHash sha, long length, CancellationToken cancellationToken)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long left = length;
            while (left > 0)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                if (n == 0) throw new ModelStoreException($"{stream.Name} shrank while it was being read");
                sha.AppendData(buffer, 0, n);
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static string Short(string digest) => digest.Length > 19 ? digest[7..19] : digest;
}
