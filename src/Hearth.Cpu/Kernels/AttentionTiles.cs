using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hearth.Cpu.Kernels;

/// <summary>The register-tiled small GEMMs of attention over blocks of queries, shared by the encoder kernel
/// (<see cref="EncoderAttentionKernel"/>) and the tiled prompt kernel (<see cref="PrefillAttentionKernel"/>):
/// S = Q·Kᵀ with Kᵀ transposed into scratch, four query rows × sixteen keys in eight AVX2 registers per head-dim step,
/// and O (+)= P·V, four rows × sixteen output columns per pass over V rows addressed by float offsets (so V is read in
/// place from an F32 paged cache or from rows dequantised into scratch). The scalar loops keep the same per-row
/// arithmetic order for machines below AVX2 and head sizes that are not a multiple of 8.</summary>
internal static unsafe class AttentionTiles
{
    /// <summary>Whether the AVX2 micro-kernels apply to this head size.</summary>
    public static bool Simd(CpuIsa isa, int headDim) => isa.Use256 && headDim % 8 == 0;

    /// <summary>s[r, j] = q_r · k_j for r &lt; mp (a multiple of 4) and j &lt; np (a multiple of 16); q is mp × hd
    /// row-major, kt is hd × np (column j is key j), s is mp × np.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScoresAvx2(float* q, float* kt, float* s, int hd, int np, int mp)
    {
        for (int r = 0; r < mp; r += 4)
        {
            float* q0 = q + (long)r * hd, q1 = q0 + hd, q2 = q1 + hd, q3 = q2 + hd;
            for (int j = 0; j < np; j += 16)
            {
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                float* k = kt + j;
                for (int c = 0; c < hd; c++, k += np)
                {
                    var k0 = Vector256.Load(k);
                    var k1 = Vector256.Load(k + 8);
                    var b = Vector256.Create(q0[c]);
                    a00 = Vector256.FusedMultiplyAdd(b, k0, a00); a01 = Vector256.FusedMultiplyAdd(b, k1, a01);
                    b = Vector256.Create(q1[c]);
                    a10 = Vector256.FusedMultiplyAdd(b, k0, a10); a11 = Vector256.FusedMultiplyAdd(b, k1, a11);
                    b = Vector256.Create(q2[c]);
                    a20 = Vector256.FusedMultiplyAdd(b, k0, a20); a21 = Vector256.FusedMultiplyAdd(b, k1, a21);
                    b = Vector256.Create(q3[c]);
                    a30 = Vector256.FusedMultiplyAdd(b, k0, a30); a31 = Vector256.FusedMultiplyAdd(b, k1, a31);
                }
                float* d = s + (long)r * np + j;
                a00.Store(d); a01.Store(d + 8); d += np;
                a10.Store(d); a11.Store(d + 8); d += np;
                a20.Store(d); a21.Store(d + 8); d += np;
                a30.Store(d); a31.Store(d + 8);
            }
        }
    }

    /// <summary><see cref="ScoresAvx2"/> for m rows and n keys, one dot product at a time.</summary>
    public static void ScoresScalar(float* q, float* kt, float* s, int hd, int n, int np, int m)
    {
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
            {
                float dot = 0;
                for (int c = 0; c < hd; c++) dot += q[(long)r * hd + c] * kt[(long)c * np + j];
                s[(long)r * np + j] = dot;
            }
    }

    /// <summary>o[r, 0..hd) (+)= Σ_{j&lt;n} p[r, j] · v_j for r &lt; mp (a multiple of 4), v_j at v + rows[j], p rows
    /// <paramref name="np"/> apart, o rows hd apart: four rows × sixteen columns (or eight, for the last block of a head
    /// size that is 8 mod 16) in registers across the n rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightedSumAvx2(float* p, int np, float* v, long* rows, float* o, int hd, int n, int mp, bool accumulate)
    {
        for (int r = 0; r < mp; r += 4)
        {
            float* p0 = p + (long)r * np, p1 = p0 + np, p2 = p1 + np, p3 = p2 + np;
            float* o0 = o + (long)r * hd;
            int c = 0;
            for (; c + 16 <= hd; c += 16)
            {
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                float* d = o0 + c;
                if (accumulate)
                {
                    a00 = Vector256.Load(d); a01 = Vector256.Load(d + 8);
                    a10 = Vector256.Load(d + hd); a11 = Vector256.Load(d + hd + 8);
                    a20 = Vector256.Load(d + 2 * hd); a21 = Vector256.Load(d + 2 * hd + 8);
                    a30 = Vector256.Load(d + 3 * hd); a31 = Vector256.Load(d + 3 * hd + 8);
                }
                float* vc = v + c;
                for (int j = 0; j < n; j++)
                {
                    float* vj = vc + rows[j];
                    var v0 = Vector256.Load(vj);
                    var v1 = Vector256.Load(vj + 8);
                    var b = Vector256.Create(p0[j]);
                    a00 = Vector256.FusedMultiplyAdd(b, v0, a00); a01 = Vector256.FusedMultiplyAdd(b, v1, a01);
                    b = Vector256.Create(p1[j]);
                    a10 = Vector256.FusedMultiplyAdd(b, v0, a10); a11 = Vector256.FusedMultiplyAdd(b, v1, a11);
                    b = Vector256.Create(p2[j]);
                    a20 = Vector256.FusedMultiplyAdd(b, v0, a20); a21 = Vector256.FusedMultiplyAdd(b, v1, a21);
                    b = Vector256.Create(p3[j]);
                    a30 = Vector256.FusedMultiplyAdd(b, v0, a30); a31 = Vector256.FusedMultiplyAdd(b, v1, a31);
                }
                a00.Store(d); a01.Store(d + 8); d += hd;
                a10.Store(d); a11.Store(d + 8); d += hd;
                a20.Store(d); a21.Store(d + 8); d += hd;
                a30.Store(d); a31.Store(d + 8);
            }
            if (c < hd)
            {
                float* d = o0 + c;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                if (accumulate) { a0 = Vector256.Load(d); a1 = Vector256.Load(d + hd); a2 = Vector256.Load(d + 2 * hd); a3 = Vector256.Load(d + 3 * hd); }
                float* vc = v + c;
                for (int j = 0; j < n; j++)
                {
                    var v0 = Vector256.Load(vc + rows[j]);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(p0[j]), v0, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Create(p1[j]), v0, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Create(p2[j]), v0, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Create(p3[j]), v0, a3);
                }
                a0.Store(d); a1.Store(d + hd); a2.Store(d + 2 * hd); a3.Store(d + 3 * hd);
            }
        }
    }

    /// <summary><see cref="WeightedSumAvx2"/> for m rows, one output at a time.</summary>
    public static void WeightedSumScalar(float* p, int np, float* v, long* rows, float* o, int hd, int n, int m, bool accumulate)
    {
        for (int r = 0; r < m; r++)
            for (int c = 0; c < hd; c++)
            {
                float sum = 0;
                for (int j = 0; j < n; j++) sum += p[(long)r * np + j] * v[rows[j] + c];
                if (accumulate) o[(long)r * hd + c] += sum;
                else o[(long)r * hd + c] = sum;
            }
    }

    /// <summary>e^x with a Cephes-style polynomial (degree 6 after range reduction by ln 2, within 2 ulp of expf) in
    /// float: the shared softmax's exp widens to double. Inputs below −87.3 give about 1e-38, not 0 (callers zero masked
    /// entries themselves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(-87.3f));
        var n = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(1.44269504088896341f), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500e-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return y * scale.AsSingle();
    }
}
