namespace Hearth.Cpu.Packed;

/// <summary>A weight copy that <see cref="Kernels.FloatPanelGemm"/> widens (and <see cref="Kernels.BF16PanelGemm"/> reads)
/// itself: its layout is not the file's.</summary>
public unsafe interface IWidensRows
{
    /// <summary>Columns [c0, c0 + kc) (whole blocks) of rows n..n + count − 1 as F32, kc apart in <paramref name="panel"/>.</summary>
    void Widen(int n, int count, int c0, int kc, float* panel);

    /// <summary>The same columns as BF16 (BF16 copies only), <paramref name="stride"/> apart in <paramref name="panel"/>:
    /// what <see cref="Kernels.BF16PanelGemm"/> multiplies. <paramref name="n"/> is the first row of a row group.</summary>
    void Words(int n, int count, int c0, int kc, ushort* panel, int stride);
}
