using System.Runtime.CompilerServices;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// The fused GRU update for one batch row and a range of unit blocks, default activations (sigmoid, tanh), with clip
/// and both linear_before_reset variants. Group (r, z) columns are interleaved <c>[u][r z][NR]</c>; the n group's
/// columns are the unit index itself.
/// </summary>
internal static unsafe class GruPointwise
{
    /// <summary>
    /// r and z (first phase). <paramref name="rh"/>, when not null, receives r ⊙ h_prev (linear_before_reset = 0 needs it
    /// as the left operand of the n gate's recurrent product).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardRz<TV>(float* pre, float* rec, float* bias, float* hprev, float* rh, float* act,
        int u0, int u1, int nr, float clip) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV hi = TV.Broadcast(clip), lo = TV.Broadcast(-clip);
        for (int u = u0; u < u1; u++)
        {
            for (int v = 0; v < nr; v += w)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                TV ar = TV.Add(TV.Add(TV.Load(pre + col), TV.Load(rec + col)), TV.Load(bias + col));
                TV az = TV.Add(TV.Add(TV.Load(pre + col + nr), TV.Load(rec + col + nr)), TV.Load(bias + col + nr));
                TV r = FastMath.Sigmoid(TV.Min(TV.Max(ar, lo), hi));
                TV z = FastMath.Sigmoid(TV.Min(TV.Max(az, lo), hi));
                TV.Store(pre + col, ar);
                TV.Store(pre + col + nr, az);
                TV.Store(act + col, r);
                TV.Store(act + col + nr, z);
                if (rh != null)
                    TV.Store(rh + j, TV.Mul(r, TV.Load(hprev + j)));
            }
        }
    }

    /// <summary>
    /// n and the new state (second phase). <paramref name="rec"/> is Rn·h (linear_before_reset = 1; <paramref name="q"/>
    /// receives Rn·h + Rbn) or Rn·(r ⊙ h) (linear_before_reset = 0; <paramref name="rbn"/> and q are null).
    /// <paramref name="actRz"/> holds r and z from the first phase; <paramref name="actN"/> receives n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardN<TV>(float* pre, float* rec, float* bias, float* rbn, float* q, float* actRz, float* actN,
        float* hprev, float* hout, int u0, int u1, int nr, float clip) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV hi = TV.Broadcast(clip), lo = TV.Broadcast(-clip);
        for (int u = u0; u < u1; u++)
        {
            for (int v = 0; v < nr; v += w)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                TV an = TV.Add(TV.Load(pre + j), TV.Load(bias + j));
                if (rbn != null)
                {
                    TV qv = TV.Add(TV.Load(rec + j), TV.Load(rbn + j));
                    TV.Store(q + j, qv);
                    an = TV.Fma(TV.Load(actRz + col), qv, an);
                }
                else
                {
                    an = TV.Add(an, TV.Load(rec + j));
                }
                TV n = FastMath.Tanh(TV.Min(TV.Max(an, lo), hi));
                TV z = TV.Load(actRz + col + nr);
                TV.Store(pre + j, an);
                TV.Store(actN + j, n);
                // h' = (1 - z) ⊙ n + z ⊙ h = n + z ⊙ (h - n)
                TV.Store(hout + j, TV.Fma(z, TV.Sub(TV.Load(hprev + j), n), n));
            }
        }
    }

    /// <summary>
    /// First backward phase. On entry dh holds dL/dh_t (without dY); on exit the direct part z ⊙ dh of dL/dh_{t-1}.
    /// Writes dz and dn (pre-activation gradients). With linear_before_reset = 1 (<paramref name="q"/> not null) it also
    /// finishes r: dq = dn ⊙ r into <paramref name="dq"/>, dr into daRz. With linear_before_reset = 0 the r gradient
    /// waits for <see cref="BackwardR"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<TV>(float* actRz, float* actN, float* preRz, float* preN, float* q, float* hprev, float* dh,
        float* dy, float* daRz, float* daN, float* dq, int u0, int u1, int nr, float clip) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV lim = TV.Broadcast(clip), one = TV.Broadcast(1f);
        for (int u = u0; u < u1; u++)
        {
            for (int v = 0; v < nr; v += w)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                TV r = TV.Load(actRz + col), z = TV.Load(actRz + col + nr), n = TV.Load(actN + j);
                TV dht = TV.Load(dh + j);
                if (dy != null)
                    dht = TV.Add(dht, TV.Load(dy + j));
                TV hp = TV.Load(hprev + j);
                TV dz = TV.Mul(dht, TV.Sub(hp, n));
                TV dn = TV.Mul(dht, TV.Sub(one, z));
                TV daz = TV.Mul(TV.Mul(dz, TV.Mul(z, TV.Sub(one, z))), TV.ClipMask(TV.Load(preRz + col + nr), lim));
                TV dan = TV.Mul(TV.Mul(dn, TV.Fnma(n, n, one)), TV.ClipMask(TV.Load(preN + j), lim));
                TV.Store(daRz + col + nr, daz);
                TV.Store(daN + j, dan);
                TV.Store(dh + j, TV.Mul(dht, z));
                if (q != null)
                {
                    TV dr = TV.Mul(dan, TV.Load(q + j));
                    TV.Store(dq + j, TV.Mul(dan, r));
                    TV.Store(daRz + col, TV.Mul(TV.Mul(dr, TV.Mul(r, TV.Sub(one, r))), TV.ClipMask(TV.Load(preRz + col), lim)));
                }
            }
        }
    }

    /// <summary>
    /// Second backward phase for linear_before_reset = 0: <paramref name="drh"/> = dL/d(r ⊙ h) = dn·Rn gives
    /// dr = drh ⊙ h_prev and adds drh ⊙ r to the direct part of dL/dh_{t-1}.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardR<TV>(float* actRz, float* preRz, float* hprev, float* drh, float* dh, float* daRz,
        int u0, int u1, int nr, float clip) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV lim = TV.Broadcast(clip), one = TV.Broadcast(1f);
        for (int u = u0; u < u1; u++)
        {
            for (int v = 0; v < nr; v += w)
            {
                int col = u * 2 * nr + v, j = u * nr + v;
                TV r = TV.Load(actRz + col);
                TV g = TV.Load(drh + j);
                TV dr = TV.Mul(g, TV.Load(hprev + j));
                TV.Store(daRz + col, TV.Mul(TV.Mul(dr, TV.Mul(r, TV.Sub(one, r))), TV.ClipMask(TV.Load(preRz + col), lim)));
                TV.Store(dh + j, TV.Fma(g, r, TV.Load(dh + j)));
            }
        }
    }
}
