using System.Numerics;
using LstmNative.Model;
using static LstmNative.Reference.ReferenceRnn;

namespace LstmNative.Reference;

/// <summary>
/// One GRU step of the reference engine, ONNX equations, internal gate order r, z, n:
/// <code>
/// z = f(clip(Wz x + Rz h + Wbz + Rbz))
/// r = f(clip(Wr x + Rr h + Wbr + Rbr))
/// n = g(clip(Wn x + Rn (r ⊙ h) + Wbn + Rbn))          linear_before_reset = 0
/// n = g(clip(Wn x + r ⊙ (Rn h + Rbn) + Wbn))          linear_before_reset = 1 (PyTorch, cuDNN)
/// h' = (1 - z) ⊙ n + z ⊙ h
/// </code>
/// </summary>
internal static class ReferenceGruCell
{
    private const int R = 0, Z = 1, N = 2;

    public static void Forward<T>(LayerTrace<T> tr, int d, int b, int t, ReadOnlySpan<T> hPrev)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = tr.Options;
        var w = tr.Weights.Directions[d];
        int h = o.HiddenSize, inSize = o.InputSize;
        var fAct = o.GetActivation(d, 0);
        var gAct = o.GetActivation(d, 1);
        int gi = GateIndex(tr, t, d, b), si = StateIndex(tr, t, d, b);
        var a = tr.PreActivations.AsSpan(gi, 3 * h);
        var act = tr.Gates.AsSpan(gi, 3 * h);
        var xt = tr.X.AsSpan((t * tr.Batch + b) * inSize, inSize);

        // r and z: input and recurrent projections plus both biases.
        for (int j = 0; j < 2 * h; j++)
            a[j] = w.Bw[j] + w.Br[j];
        MatVecAdd<T>(w.W, 0, 2 * h, inSize, xt, a);
        MatVecAdd<T>(w.R, 0, 2 * h, h, hPrev, a);
        for (int j = 0; j < 2 * h; j++)
            act[j] = fAct.Apply(Clip(a[j], o.Clip));

        // n: the reset gate enters before or after the recurrent product.
        var an = a.Slice(N * h, h);
        for (int j = 0; j < h; j++)
            an[j] = w.Bw[N * h + j];
        MatVecAdd<T>(w.W, N * h, h, inSize, xt, an);
        if (o.LinearBeforeReset)
        {
            var q = tr.RecurrentCandidate.AsSpan(si, h);
            for (int j = 0; j < h; j++)
                q[j] = w.Br[N * h + j];
            MatVecAdd<T>(w.R, N * h, h, h, hPrev, q);
            for (int j = 0; j < h; j++)
                an[j] += act[R * h + j] * q[j];
        }
        else
        {
            Span<T> rh = new T[h];
            for (int j = 0; j < h; j++)
            {
                rh[j] = act[R * h + j] * hPrev[j];
                an[j] += w.Br[N * h + j];
            }
            MatVecAdd<T>(w.R, N * h, h, h, rh, an);
        }

        var hOut = tr.HiddenStates.AsSpan(OutputIndex(tr, t, d, b), h); // GRU has no projection: the same offset as si
        for (int j = 0; j < h; j++)
        {
            T n = gAct.Apply(Clip(an[j], o.Clip));
            act[N * h + j] = n;
            T z = act[Z * h + j];
            hOut[j] = (T.One - z) * n + z * hPrev[j];
        }
    }

    /// <summary>On entry <paramref name="dh"/> holds dL/dh_t; on exit dL/dh_{t-1}. Gradients accumulate into <paramref name="grads"/>.</summary>
    public static void Backward<T>(LayerTrace<T> tr, LayerGradients<T> grads, int d, int b, int t, int tPrev, Span<T> dh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = tr.Options;
        var w = tr.Weights.Directions[d];
        var gw = grads.Weights.Directions[d];
        int h = o.HiddenSize, inSize = o.InputSize;
        var fAct = o.GetActivation(d, 0);
        var gAct = o.GetActivation(d, 1);
        int gi = GateIndex(tr, t, d, b), si = StateIndex(tr, t, d, b);
        var a = tr.PreActivations.AsSpan(gi, 3 * h);
        var act = tr.Gates.AsSpan(gi, 3 * h);
        int prev = tPrev >= 0 ? StateIndex(tr, tPrev, d, b) : -1;
        ReadOnlySpan<T> hPrev = prev >= 0 ? tr.HiddenStates.AsSpan(prev, h) : tr.H0.AsSpan((d * tr.Batch + b) * h, h);
        var xt = tr.X.AsSpan((t * tr.Batch + b) * inSize, inSize);

        Span<T> da = new T[3 * h];
        Span<T> dhPrev = new T[h];
        Span<T> dr = new T[h];
        for (int j = 0; j < h; j++)
        {
            T z = act[Z * h + j], n = act[N * h + j];
            // h' = (1 - z) ⊙ n + z ⊙ h
            T dz = dh[j] * (hPrev[j] - n);
            T dn = dh[j] * (T.One - z);
            dhPrev[j] = dh[j] * z;
            da[Z * h + j] = dz * fAct.Derivative(Clip(a[Z * h + j], o.Clip)) * ClipGrad(a[Z * h + j], o.Clip);
            da[N * h + j] = dn * gAct.Derivative(Clip(a[N * h + j], o.Clip)) * ClipGrad(a[N * h + j], o.Clip);
        }

        var dan = da.Slice(N * h, h);
        OuterAdd<T>(gw.W, N * h, h, inSize, dan, xt);
        for (int j = 0; j < h; j++)
            gw.Bw[N * h + j] += dan[j];
        if (o.LinearBeforeReset)
        {
            // n pre-activation = Wn x + Wbn + r ⊙ q, q = Rn h + Rbn.
            var q = tr.RecurrentCandidate.AsSpan(si, h);
            Span<T> dq = new T[h];
            for (int j = 0; j < h; j++)
            {
                dq[j] = dan[j] * act[R * h + j];
                dr[j] = dan[j] * q[j];
                gw.Br[N * h + j] += dq[j];
            }
            OuterAdd<T>(gw.R, N * h, h, h, dq, hPrev);
            MatTVecAdd<T>(w.R, N * h, h, h, dq, dhPrev);
        }
        else
        {
            // n pre-activation = Wn x + Wbn + Rn (r ⊙ h) + Rbn.
            Span<T> rh = new T[h];
            Span<T> drh = new T[h];
            for (int j = 0; j < h; j++)
            {
                rh[j] = act[R * h + j] * hPrev[j];
                gw.Br[N * h + j] += dan[j];
            }
            OuterAdd<T>(gw.R, N * h, h, h, dan, rh);
            MatTVecAdd<T>(w.R, N * h, h, h, dan, drh);
            for (int j = 0; j < h; j++)
            {
                dr[j] = drh[j] * hPrev[j];
                dhPrev[j] += drh[j] * act[R * h + j];
            }
        }
        for (int j = 0; j < h; j++)
            da[R * h + j] = dr[j] * fAct.Derivative(Clip(a[R * h + j], o.Clip)) * ClipGrad(a[R * h + j], o.Clip);

        // r and z: plain projections of x and h.
        var daRz = da[..(2 * h)];
        OuterAdd<T>(gw.W, 0, 2 * h, inSize, daRz, xt);
        OuterAdd<T>(gw.R, 0, 2 * h, h, daRz, hPrev);
        for (int j = 0; j < 2 * h; j++)
        {
            gw.Bw[j] += daRz[j];
            gw.Br[j] += daRz[j];
        }
        MatTVecAdd<T>(w.R, 0, 2 * h, h, daRz, dhPrev);
        MatTVecAdd<T>(w.W, 0, 3 * h, inSize, da, grads.DX.AsSpan((t * tr.Batch + b) * inSize, inSize));
        dhPrev.CopyTo(dh);
    }
}
