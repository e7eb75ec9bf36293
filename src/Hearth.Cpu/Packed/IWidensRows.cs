namespace Hearth.Cpu.Packed;

/// <summary>A weight copy that <see cref="Kernels.FloatPanelGemm"/> widens itself (its layout is not the file's).</summary>
public unsafe interface IWidensRows
{
    /// <summary>Columns [c0, c0 + kc) (whole blocks) of rows n..n + count − 1 as F32, kc apart in <paramref name="panel"/>.</summary>
    void Widen(int n, int count, int c0, int kc, float* panel);
}
