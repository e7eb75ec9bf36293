using System.Buffers.Binary;
using Hearth.Core.Gguf;

namespace Hearth.Core.Tests.Gguf;

/// <summary>Damaged files fail with a <see cref="GgufException"/> naming the file — never another exception, a hang
/// or a huge allocation.</summary>
public class GgufCorruptFileTests
{
    private static GgufException OpenFails(string path)
    {
        var e = Assert.Throws<GgufException>(() => { using var f = GgufFile.Open(path); });
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void TruncationAtEveryRegionFails()
    {
        using var dir = new TempDir();
        byte[] good = File.ReadAllBytes(GgufTestFiles.WriteSmall(dir.File("good.gguf")));
        long dataStart, dataEnd;
        using (var f = GgufFile.Open(dir.File("good.gguf")))
        {
            dataStart = f.DataOffset;
            dataEnd = f.Tensors.Max(t => t.DataOffset + t.ByteSize);
        }
        // Every byte of the fixed header, every 3rd byte through metadata and tensor infos, 32 cuts through the data.
        var cuts = Enumerable.Range(0, 48).Select(i => (long)i)
            .Concat(Enumerable.Range(16, (int)(dataStart / 3)).Select(i => 3L * i + 1))
            .Concat(Enumerable.Range(0, 32).Select(i => dataStart + (dataEnd - dataStart) * i / 32))
            .Append(dataEnd - 1).Where(c => c < dataEnd).Distinct().ToList();
        Assert.True(cuts.Count > 300, $"{cuts.Count} cuts");
        string path = dir.File("cut.gguf");
        foreach (long cut in cuts)
        {
            File.WriteAllBytes(path, good[..(int)cut]);
            OpenFails(path);
        }
    }

    [Fact]
    public void TruncatedDataSaysTruncated()
    {
        using var dir = new TempDir();
        byte[] good = File.ReadAllBytes(GgufTestFiles.WriteSmall(dir.File("good.gguf")));
        File.WriteAllBytes(dir.File("cut.gguf"), good[..^200]);
        Assert.Contains("truncated", OpenFails(dir.File("cut.gguf")).Message);
    }

    [Fact]
    public void BitFlipsInTheHeaderNeverEscapeAsOtherExceptions()
    {
        using var dir = new TempDir();
        byte[] good = File.ReadAllBytes(GgufTestFiles.WriteSmall(dir.File("good.gguf")));
        int headerLength;
        using (var f = GgufFile.Open(dir.File("good.gguf")))
            headerLength = (int)f.DataOffset;
        string path = dir.File("flip.gguf");
        var rng = new Random(1234);
        int failures = 0;
        for (int iter = 0; iter < 400; iter++)
        {
            byte[] bad = (byte[])good.Clone();
            int flips = 1 + iter % 3;
            for (int k = 0; k < flips; k++)
                bad[rng.Next(headerLength)] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, bad);
            try
            {
                using var f = GgufFile.Open(path);
                _ = f.Tensors.Count; // a flip inside a string or value can leave a valid file
            }
            catch (GgufException e)
            {
                Assert.Contains(path, e.Message);
                failures++;
            }
        }
        Assert.InRange(failures, 100, 400);
    }

    [Fact]
    public void BadMagicAndVersionHaveClearMessages()
    {
        using var dir = new TempDir();
        byte[] good = File.ReadAllBytes(GgufTestFiles.WriteSmall(dir.File("good.gguf")));
        byte[] bad = (byte[])good.Clone();
        bad[0] = (byte)'X';
        File.WriteAllBytes(dir.File("magic.gguf"), bad);
        Assert.Contains("not a GGUF file", OpenFails(dir.File("magic.gguf")).Message);

        bad = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(4), 1);
        File.WriteAllBytes(dir.File("v1.gguf"), bad);
        Assert.Contains("GGUF version 1 is not supported", OpenFails(dir.File("v1.gguf")).Message);

        File.WriteAllBytes(dir.File("empty.gguf"), []);
        Assert.Contains("too short", OpenFails(dir.File("empty.gguf")).Message);
        Assert.Contains("not found", OpenFails(dir.File("missing.gguf")).Message);
    }

    [Fact]
    public void HugeCountsAreRejectedBeforeAllocating()
    {
        using var dir = new TempDir();
        var w = new GgufWriter();
        w.SetArray("arr", new int[] { 1, 2, 3 });
        w.SetString("s", "abc");
        w.Write(dir.File("m.gguf"));
        byte[] good = File.ReadAllBytes(dir.File("m.gguf"));
        // Layout: 24-byte header, key "arr" (8+3), type (4), element type (4), count (8) at offset 43.
        byte[] bad = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(43), 1UL << 27);
        File.WriteAllBytes(dir.File("arr.gguf"), bad);
        Assert.Contains("claims", OpenFails(dir.File("arr.gguf")).Message);

        bad = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(16), ulong.MaxValue);
        File.WriteAllBytes(dir.File("keys.gguf"), bad);
        Assert.Contains("implausibly large", OpenFails(dir.File("keys.gguf")).Message);
    }

    [Fact]
    public void DuplicateKeysAndBadAlignmentAreRejected()
    {
        using var dir = new TempDir();
        var w = new GgufWriter();
        w.SetString("general.alignment", "wide");
        w.Write(dir.File("align.gguf"));
        Assert.Contains("general.alignment", OpenFails(dir.File("align.gguf")).Message);

        new GgufWriter().SetString("aa", "x").SetString("ab", "y").Write(dir.File("dup.gguf"));
        byte[] bytes = File.ReadAllBytes(dir.File("dup.gguf"));
        int second = Array.LastIndexOf(bytes, (byte)'b');
        bytes[second] = (byte)'a';
        File.WriteAllBytes(dir.File("dup.gguf"), bytes);
        Assert.Contains("appears twice", OpenFails(dir.File("dup.gguf")).Message);
    }
}
