using System.Numerics;
using LstmNative.Model;
using static LstmNative.Reference.ReferenceRnn;

namespace LstmNative.Reference;

/// <summary>
/// One LSTM step of the reference engine, ONNX equations, internal gate order i, f, g, o:
/// <code>
/// i = f(clip(Wi x + Ri h + Wbi + Rbi + Pi ⊙ c_prev))
/// f = f(clip(Wf x + Rf h + Wbf + Rbf + Pf ⊙ c_prev))     (input_forget: f = 1 - i)
/// g = g(clip(Wg x + Rg h + Wbg + Rbg))
/// c = f ⊙ c_prev + i ⊙ g
/// o = f(clip(Wo x + Ro h + Wbo + Rbo + Po ⊙ c))
/// h = o ⊙ h(c)
/// </code>
/// </summary>
internal static class ReferenceLstmCell
{
    private const int I = 0, F = 1, G = 2, O = 3;

    public static void Forward<T>(LayerTrace<T> tr, int d, int b, int t, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> cPrev)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = tr.Options;
        var w = tr.Weights.Directions[d];
        int h = o.HiddenSize, inSize = o.InputSize;
        var fAct = o.GetActivation(d, 0);
        var gAct = o.GetActivation(d, 1);
        var hAct = o.GetActivation(d, 2);
        int gi = GateIndex(tr, t, d, b), si = StateIndex(tr, t, d, b);
        var a = tr.PreActivations.AsSpan(gi, 4 * h);
        var act = tr.Gates.AsSpan(gi, 4 * h);
        var xt = tr.X.AsSpan((t * tr.Batch + b) * inSize, inSize);

        for (int j = 0; j < 4 * h; j++)
            a[j] = w.Bw[j] + w.Br[j];
        MatVecAdd<T>(w.W, 0, 4 * h, inSize, xt, a);
        MatVecAdd<T>(w.R, 0, 4 * h, h, hPrev, a);

        var c = tr.CellStates.AsSpan(si, h);
        var hOut = tr.HiddenStates.AsSpan(si, h);
        for (int j = 0; j < h; j++)
        {
            if (w.P is { } p)
            {
                a[I * h + j] += p[0 * h + j] * cPrev[j];
                a[F * h + j] += p[1 * h + j] * cPrev[j];
            }
            T ig = fAct.Apply(Clip(a[I * h + j], o.Clip));
            T fg = o.InputForget ? T.One - ig : fAct.Apply(Clip(a[F * h + j], o.Clip));
            T gg = gAct.Apply(Clip(a[G * h + j], o.Clip));
            c[j] = fg * cPrev[j] + ig * gg;
            if (w.P is { } p2)
                a[O * h + j] += p2[2 * h + j] * c[j];
            T og = fAct.Apply(Clip(a[O * h + j], o.Clip));
            hOut[j] = og * hAct.Apply(c[j]);
            act[I * h + j] = ig;
            act[F * h + j] = fg;
            act[G * h + j] = gg;
            act[O * h + j] = og;
        }
    }

    /// <summary>
    /// Back-propagates one step. On entry <paramref name="dh"/>/<paramref name="dc"/> hold dL/dh_t and dL/dc_t;
    /// on exit they hold dL/dh_{t-1} and dL/dc_{t-1}. Weight and input gradients are accumulated into <paramref name="grads"/>.
    /// </summary>
    public static void Backward<T>(LayerTrace<T> tr, LayerGradients<T> grads, int d, int b, int t, int tPrev, Span<T> dh, Span<T> dc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = tr.Options;
        var w = tr.Weights.Directions[d];
        var gw = grads.Weights.Directions[d];
        int h = o.HiddenSize, inSize = o.InputSize;
        var fAct = o.GetActivation(d, 0);
        var gAct = o.GetActivation(d, 1);
        var hAct = o.GetActivation(d, 2);
        int gi = GateIndex(tr, t, d, b), si = StateIndex(tr, t, d, b);
        var a = tr.PreActivations.AsSpan(gi, 4 * h);
        var act = tr.Gates.AsSpan(gi, 4 * h);
        var c = tr.CellStates.AsSpan(si, h);
        int prev = tPrev >= 0 ? StateIndex(tr, tPrev, d, b) : -1;
        ReadOnlySpan<T> hPrev = prev >= 0 ? tr.HiddenStates.AsSpan(prev, h) : tr.H0.AsSpan((d * tr.Batch + b) * h, h);
        ReadOnlySpan<T> cPrev = prev >= 0 ? tr.CellStates.AsSpan(prev, h) : tr.C0.AsSpan((d * tr.Batch + b) * h, h);

        Span<T> da = new T[4 * h];
        Span<T> dcPrev = new T[h];
        for (int j = 0; j < h; j++)
        {
            T ig = act[I * h + j], fg = act[F * h + j], gg = act[G * h + j], og = act[O * h + j];
            T hc = hAct.Apply(c[j]);
            // h = o ⊙ h(c)
            T dao = dh[j] * hc * fAct.Derivative(Clip(a[O * h + j], o.Clip)) * ClipGrad(a[O * h + j], o.Clip);
            T dct = dc[j] + dh[j] * og * hAct.Derivative(c[j]);
            if (w.P is { } p)
            {
                dct += dao * p[2 * h + j];
                gw.P![2 * h + j] += dao * c[j];
            }
            // c = f ⊙ c_prev + i ⊙ g
            T di = dct * gg;
            T df = dct * cPrev[j];
            T dg = dct * ig;
            T dcp = dct * fg;
            T daf = T.Zero;
            if (o.InputForget)
                di -= df; // f = 1 - i
            else
                daf = df * fAct.Derivative(Clip(a[F * h + j], o.Clip)) * ClipGrad(a[F * h + j], o.Clip);
            T dai = di * fAct.Derivative(Clip(a[I * h + j], o.Clip)) * ClipGrad(a[I * h + j], o.Clip);
            T dag = dg * gAct.Derivative(Clip(a[G * h + j], o.Clip)) * ClipGrad(a[G * h + j], o.Clip);
            if (w.P is { } p2)
            {
                dcp += dai * p2[0 * h + j] + daf * p2[1 * h + j];
                gw.P![0 * h + j] += dai * cPrev[j];
                gw.P![1 * h + j] += daf * cPrev[j];
            }
            da[I * h + j] = dai;
            da[F * h + j] = daf;
            da[G * h + j] = dag;
            da[O * h + j] = dao;
            dcPrev[j] = dcp;
        }

        var xt = tr.X.AsSpan((t * tr.Batch + b) * inSize, inSize);
        OuterAdd<T>(gw.W, 0, 4 * h, inSize, da, xt);
        OuterAdd<T>(gw.R, 0, 4 * h, h, da, hPrev);
        for (int j = 0; j < 4 * h; j++)
        {
            gw.Bw[j] += da[j];
            gw.Br[j] += da[j];
        }
        MatTVecAdd<T>(w.W, 0, 4 * h, inSize, da, grads.DX.AsSpan((t * tr.Batch + b) * inSize, inSize));
        dh.Clear();
        MatTVecAdd<T>(w.R, 0, 4 * h, h, da, dh);
        dcPrev.CopyTo(dc);
    }
}
