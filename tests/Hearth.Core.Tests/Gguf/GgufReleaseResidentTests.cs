using Hearth.Core.Gguf;

namespace Hearth.Core.Tests.Gguf;

/// <summary><see cref="GgufFile.ReleaseResident"/>: pages a backend has copied leave the resident set without losing a
/// byte (the next read maps them again from the file), and a range outside the mapping is refused, since advising
/// anonymous memory away would zero it.</summary>
public class GgufReleaseResidentTests
{
    [Fact]
    public unsafe void ReleasedPagesReadBackTheSameBytes()
    {
        using var dir = new TempDir();
        var w = new GgufWriter();
        var bytes = new byte[64 * 4096 + 123];
        new Random(7).NextBytes(bytes);
        w.AddTensor("t", GgmlType.I8, [bytes.Length], bytes);
        w.Write(dir.File("m.gguf"));
        using var f = GgufFile.Open(dir.File("m.gguf"));
        var t = f.GetTensor("t");
        byte* p = f.GetTensorPointer(t);
        Assert.Equal(bytes, new ReadOnlySpan<byte>(p, bytes.Length).ToArray()); // resident now

        long released = f.ReleaseResident(p, bytes.Length);
        if (OperatingSystem.IsLinux()) Assert.InRange(released, 63 * 4096, 64 * 4096); // whole pages inside the range only
        Assert.Equal(bytes, new ReadOnlySpan<byte>(p, bytes.Length).ToArray());

        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReleaseResident(p, 1L << 40));
        var outside = GC.AllocateArray<byte>(8192, pinned: true);
        nint o = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref outside[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReleaseResident((byte*)o, outside.Length));
    }
}
