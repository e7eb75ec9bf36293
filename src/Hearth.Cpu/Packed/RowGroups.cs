namespace Hearth.Cpu.Packed;

/// <summary>The layout of the float-weight copies read by the AVX-512 decode kernels (<see cref="GroupedHalfWeight"/>,
/// <see cref="CompactBF16Weight"/>): rows in groups of <see cref="Rows"/> (the last may be smaller) with their blocks
/// interleaved, block j of the group's rows side by side, then block j + 1. A 4-row decode then reads one sequential
/// stream while it runs four independent chains of FMAs, one per row. Read row by row (the file's layout), one row's
/// chain bounded the kernel (four dependent FMAs per 64 columns), and reading two rows, or two column ranges of one row,
/// side by side ran at half the speed on Zen 4 (two streams per core).</summary>
public static class RowGroups
{
    public const int Rows = 4;

    /// <summary>Where block <paramref name="block"/> of row <paramref name="row"/> is, in blocks from the start, for a
    /// matrix of <paramref name="rows"/> rows of <paramref name="perRow"/> blocks.</summary>
    public static long Position(int rows, int perRow, int row, int block)
    {
        int group = row / Rows, inGroup = Math.Min(Rows, rows - group * Rows);
        return (long)group * Rows * perRow + (long)block * inGroup + row % Rows;
    }

    /// <summary>Blocks from one of a row's blocks to its next (the rows in its group).</summary>
    public static int Stride(int rows, int row) => Math.Min(Rows, rows - row / Rows * Rows);
}
