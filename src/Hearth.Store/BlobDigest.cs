using System.Security.Cryptography;

namespace Hearth.Store;

/// <summary>sha256 digests as the store spells them: "sha256:&lt;64 lowercase hex&gt;" in manifests,
/// "sha256-&lt;hex&gt;" as blob file names (':' is not portable in file names).</summary>
public static class BlobDigest
{
    public static bool IsValid(string? digest) =>
        digest is { Length: 71 } && digest.StartsWith("sha256:", StringComparison.Ordinal) && IsHex(digest.AsSpan(7));

    public static bool IsHex(ReadOnlySpan<char> hex)
    {
        if (hex.Length != 64) return false;
        foreach (char c in hex)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }

    /// <summary>"sha256:hex" from a hex string (any case); throws when it is not 64 hex digits.</summary>
    public static string FromHex(string hex)
    {
        var lower = hex.Trim().ToLowerInvariant();
        if (!IsHex(lower)) throw new ArgumentException($"'{hex}' is not a sha256 hex digest");
        return "sha256:" + lower;
    }

    public static string FileName(string digest) => digest.Replace(':', '-');

    public static string Of(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Hashes a whole file (streamed).</summary>
    public static string OfFile(string path, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            sha.AppendData(buffer, 0, n);
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
