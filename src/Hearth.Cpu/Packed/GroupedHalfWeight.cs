using System.Runtime.Intrinsics;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>An F16 or BF16 matrix copied out of the file in <see cref="RowGroups"/>' layout, blocks of 64 columns, for the
/// AVX-512 float kernels: the same bytes as the file, decode reading them as one stream with four FMA chains
/// (<see cref="F16Decode.GroupRows4{TH}"/>). <see cref="Weight.Data"/> stays the file's rows (the mapping), for
/// embedding lookups and the lower SIMD rungs.</summary>
public sealed unsafe class GroupedHalfWeight : Weight, IDisposable, IWidensRows
{
    public const int BlockColumns = 64;

    private GroupedHalfWeight(Weight source, ushort* values)
        : base(source.Name, source.Type, source.Rows, source.Columns, source.Data)
    {
        Values = values;
    }

    /// <summary>The grouped copy: block j of row r at <see cref="Position"/>(r, j) · 64.</summary>
    public ushort* Values { get; private set; }
    public int Blocks => Columns / BlockColumns;

    /// <summary>Whether an F16 or BF16 matrix is held grouped on this backend: the AVX-512 float kernels, whole 64-column
    /// blocks, and not turned off by HEARTH_GROUPED_HALF=0.</summary>
    public static bool Groups(Weight w, CpuIsa isa) =>
        w.Type is GgmlType.F16 or GgmlType.BF16 && w.Rows > 1 && w.Columns % BlockColumns == 0 && F16Decode.Available(isa)
        && Environment.GetEnvironmentVariable("HEARTH_GROUPED_HALF") != "0";

    public static GroupedHalfWeight? TryGroup(Weight w, CpuIsa isa) => Groups(w, isa) ? Group(w) : null;

    public static GroupedHalfWeight Group(Weight w)
    {
        if (w.Type is not (GgmlType.F16 or GgmlType.BF16) || w.Columns % BlockColumns != 0)
            throw new ArgumentException($"weight '{w.Name}' ({w.Type}, {w.Columns} columns) has no grouped form");
        int perRow = w.Columns / BlockColumns;
        ushort* values = (ushort*)HostMemory.Allocate(w.RowBytes * w.Rows);
        ushort* source = (ushort*)w.Data;
        for (int row = 0; row < w.Rows; row++)
        {
            ushort* from = source + (long)row * w.Columns;
            ushort* to = values + RowGroups.Position(w.Rows, perRow, row, 0) * BlockColumns;
            long step = (long)RowGroups.Stride(w.Rows, row) * BlockColumns;
            for (int j = 0; j < perRow; j++, from += BlockColumns, to += step)
            {
                Vector512.Store(Vector512.Load(from), to);
                Vector512.Store(Vector512.Load(from + 32), to + 32);
            }
        }
        return new GroupedHalfWeight(w, values);
    }

    public long Position(int row, int block) => RowGroups.Position(Rows, Blocks, row, block);

    public void Widen(int n, int count, int c0, int kc, float* panel)
    {
        for (int r = 0; r < count; r++)
        {
            ushort* block = Values + Position(n + r, c0 / BlockColumns) * BlockColumns;
            long step = (long)RowGroups.Stride(Rows, n + r) * BlockColumns;
            for (int i = 0; i < kc; i += BlockColumns, block += step)
                FloatPanelGemm.WidenHalves(Type, block, BlockColumns, panel + (long)r * kc + i);
        }
    }

    public void Words(int n, int count, int c0, int kc, ushort* panel, int stride)
    {
        // Block j of each of the group's rows, then j + 1: the group's order, one stream.
        long first = Position(n, c0 / BlockColumns);
        int step = RowGroups.Stride(Rows, n);
        for (int j = 0; j < kc / BlockColumns; j++)
            for (int r = 0; r < count; r++)
            {
                ushort* block = Values + (first + (long)j * step + r) * BlockColumns, d = panel + (long)r * stride + j * BlockColumns;
                Vector512.Load(block).Store(d);
                Vector512.Load(block + 32).Store(d + 32);
            }
    }

    public void Dispose()
    {
        HostMemory.Free((byte*)Values);
        Values = null;
    }
}
