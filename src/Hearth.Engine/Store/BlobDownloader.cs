using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Hearth.Engine.Store;

/// <summary>Downloads one file into the store's blobs: resumable (the partial file stays in <c>partial/</c> after an
/// interruption and the next attempt asks for the rest with an HTTP Range request), sha256-verified (a mismatch
/// removes the partial file), with throttled progress reports.</summary>
internal sealed class BlobDownloader(ModelStore store, HttpClient http)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Downloads <paramref name="file"/> and returns its blob digest.</summary>
    public async Task<string> DownloadAsync(RemoteFile file, string? bearerToken, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        if (file.Digest is { } known && File.Exists(store.BlobPath(known)))
        {
            progress?.Report(new PullProgress($"pulling {Short(known)}", known, file.Size, file.Size));
            return known;
        }
        // Named by the expected digest when known, else by the URL, so that a retry finds its partial file.
        string partialName = file.Digest is { } d
            ? BlobDigest.FileName(d) + ".partial"
            : "url-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(file.Url.AbsoluteUri)))[..32] + ".partial";
        string partial = Path.Combine(store.PartialDir, partialName);
        string status = $"pulling {(file.Digest is { } dd ? Short(dd) : file.FileName)}";

        string digest;
        FileStream stream;
        try
        {
            stream = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        }
        catch (IOException e)
        {
            throw new ModelStoreException($"another pull of {file.FileName} is in progress", e);
        }
        await using (stream)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long have = stream.Length;
            if (file.Size is { } size && have > size) have = Reset(stream, sha);
            // Hash what is already there so the final digest covers the whole file.
            if (have > 0) await HashExistingAsync(stream, sha, have, cancellationToken);

            long? total = file.Size;
            if (total is null || have < total)
                total = await FetchAsync(file, bearerToken, stream, sha, have, status, progress, cancellationToken);

            progress?.Report(new PullProgress("verifying sha256 digest", file.Digest, total, stream.Length));
            if (file.Size is { } expected && stream.Length != expected)
                throw new ModelStoreException($"{file.FileName}: downloaded {stream.Length} bytes, expected {expected}; pull again to resume");
            digest = "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
            await stream.FlushAsync(cancellationToken);
        }
        if (file.Digest != null && digest != file.Digest)
        {
            File.Delete(partial);
            throw new ModelStoreException($"{file.FileName}: sha256 mismatch (expected {file.Digest}, got {digest}); the download was removed");
        }
        AtomicFile.Publish(partial, store.BlobPath(digest));
        return digest;
    }

    /// <summary>GETs the rest of the file (from <paramref name="have"/>), appending to <paramref name="stream"/>. Returns the total size.</summary>
    private async Task<long?> FetchAsync(RemoteFile file, string? bearerToken, FileStream stream, IncrementalHash sha, long have,
        string status, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
        if (bearerToken != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ModelStoreException($"cannot download {file.Url}: {e.Message}", e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
            {
                // The partial file is already complete (or longer than the file); the digest check decides.
                return response.Content.Headers.ContentRange?.Length ?? have;
            }
            if (!response.IsSuccessStatusCode)
                throw new ModelStoreException(response.StatusCode switch
                {
                    HttpStatusCode.NotFound => $"{file.Url} not found (HTTP 404)",
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"access to {file.Url} was denied (HTTP {(int)response.StatusCode}); set HF_TOKEN",
                    _ => $"downloading {file.Url} failed: HTTP {(int)response.StatusCode}",
                });
            if (response.StatusCode != HttpStatusCode.PartialContent && have > 0)
                have = Reset(stream, sha); // the server ignored the Range header: start over
            else if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From is { } from && from != have)
                throw new ModelStoreException($"{file.Url}: the server resumed at byte {from}, expected {have}");

            long? total = file.Size ?? (response.Content.Headers.ContentRange?.Length
                ?? (response.Content.Headers.ContentLength is { } len ? len + have : null));
            stream.Seek(have, SeekOrigin.Begin);
            await CopyAsync(response, stream, sha, have, total, status, file.Digest, progress, cancellationToken);
            return total;
        }
    }

    private static async Task CopyAsync(HttpResponseMessage response, FileStream stream, IncrementalHash sha, long have, long? total,
        string status, string? digest, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long completed = have;
            var sinceReport = Stopwatch.StartNew();
            progress?.Report(new PullProgress(status, digest, total, completed));
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                sha.AppendData(buffer, 0, n);
                completed += n;
                if (total is { } t && completed > t)
                    throw new ModelStoreException($"the server sent more than the expected {t} bytes");
                if (sinceReport.Elapsed >= ProgressInterval)
                {
                    progress?.Report(new PullProgress(status, digest, total, completed));
                    sinceReport.Restart();
                }
            }
            await stream.FlushAsync(cancellationToken);
            progress?.Report(new PullProgress(status, digest, total, completed));
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

    private static long Reset(FileStream stream, IncrementalHash sha)
    {
        stream.SetLength(0);
        sha.GetHashAndReset();
        return 0;
    }

    internal static string Short(string digest) => digest.Length > 19 ? digest[7..19] : digest;
}
