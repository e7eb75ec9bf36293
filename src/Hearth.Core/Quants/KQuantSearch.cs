namespace Hearth.Core.Quants;

/// <summary>The scale searches of ggml's K-quant reference quantizers (make_qkx2_quants, make_qx_quants),
/// written out in float32 in the same operation order so results match ggml's scalar build.</summary>
internal static class KQuantSearch
{
    public const float GroupMaxEps = 1e-15f;

    /// <summary>Asymmetric (scale, min) fit for n values into 0..nmax, weighted least squares over a
    /// small grid of candidate scales. Returns the scale; <paramref name="theMin"/> is the positive offset.</summary>
    public static float MakeQkx2(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        Span<byte> L, out float theMin, Span<byte> laux, float rmin, float rdelta, int nstep)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            L[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++)
        {
            int l = QuantMath.NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * L[i] + min - x[i];
            diff *= diff;
            bestMad += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (int s = 0; s <= nstep; s++)
        {
            iscale = (rmin + rdelta * s + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(0, Math.Min(nmax, QuantMath.NearestInt(iscale * (x[i] - min))));
                laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * laux[i] + thisMin - x[i];
                    diff *= diff;
                    mad += weights[i] * diff;
                }
                if (mad < bestMad)
                {
                    laux[..n].CopyTo(L);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>Symmetric scale fit (rmse_type 1: weights x²) for n values into −nmax..nmax−1,
    /// stored as L = q + nmax. Returns the scale.</summary>
    public static float MakeQx(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> L)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            L[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i])));
            L[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int s = -9; s <= 9; s++)
        {
            if (s == 0) continue;
            iscale = -(nmax + 0.1f * s) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i])));
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                    L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i]))));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>Packs the j-th 6-bit (scale, min) pair into a Q4_K/Q5_K 12-byte scale array (inverse of ScaleMinK4).</summary>
    public static void PackScaleMinK4(Span<byte> q, int j, byte ls, byte lm)
    {
        if (j < 4)
        {
            q[j] = ls;
            q[j + 4] = lm;
        }
        else
        {
            q[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
            q[j - 4] |= (byte)((ls >> 4) << 6);
            q[j] |= (byte)((lm >> 4) << 6);
        }
    }
}
