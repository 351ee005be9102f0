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
/// h = o ⊙ h(c)                                          (with a projection: h = W_hr (o ⊙ h(c)), PyTorch's LSTMP)
/// </code>
/// With a projection the recurrent input h has <see cref="RnnLayerOptions.OutputSize"/> features, so R is <c>[4H, P]</c>.
/// </summary>
internal static class ReferenceLstmCell
{
    private const int I = 0, F = 1, G = 2, O = 3;

    public static void Forward<T>(LayerTrace<T> tr, int d, int b, int t, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> cPrev)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = tr.Options;
        var w = tr.Weights.Directions[d];
        int h = o.HiddenSize, ho = o.OutputSize, inSize = o.InputSize;
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
        MatVecAdd<T>(w.R, 0, 4 * h, ho, hPrev, a);

        var c = tr.CellStates.AsSpan(si, h);
        // Without a projection the cell writes h straight into the trace; with one it writes m = o ⊙ h(c) here first.
        Span<T> hOut = w.Whr is null ? tr.HiddenStates.AsSpan(OutputIndex(tr, t, d, b), h) : new T[h];
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
        if (w.Whr is { } whr)
        {
            var projected = tr.HiddenStates.AsSpan(OutputIndex(tr, t, d, b), ho);
            projected.Clear();
            MatVecAdd<T>(whr, 0, ho, h, hOut, projected);
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
        int h = o.HiddenSize, ho = o.OutputSize, inSize = o.InputSize;
        var fAct = o.GetActivation(d, 0);
        var gAct = o.GetActivation(d, 1);
        var hAct = o.GetActivation(d, 2);
        int gi = GateIndex(tr, t, d, b), si = StateIndex(tr, t, d, b);
        var a = tr.PreActivations.AsSpan(gi, 4 * h);
        var act = tr.Gates.AsSpan(gi, 4 * h);
        var c = tr.CellStates.AsSpan(si, h);
        bool hasPrev = tPrev >= 0;
        ReadOnlySpan<T> hPrev = hasPrev ? tr.HiddenStates.AsSpan(OutputIndex(tr, tPrev, d, b), ho) : tr.H0.AsSpan((d * tr.Batch + b) * ho, ho);
        ReadOnlySpan<T> cPrev = hasPrev ? tr.CellStates.AsSpan(StateIndex(tr, tPrev, d, b), h) : tr.C0.AsSpan((d * tr.Batch + b) * h, h);

        // dm: the gradient of m = o ⊙ h(c). Without a projection h = m; with one h = W_hr m, so dm = W_hrᵀ dh.
        Span<T> dm = dh;
        if (w.Whr is { } whr)
        {
            Span<T> m = new T[h];
            for (int j = 0; j < h; j++)
                m[j] = act[O * h + j] * hAct.Apply(c[j]);
            OuterAdd<T>(gw.Whr!, 0, ho, h, dh, m);
            dm = new T[h];
            MatTVecAdd<T>(whr, 0, ho, h, dh, dm);
        }

        Span<T> da = new T[4 * h];
        Span<T> dcPrev = new T[h];
        for (int j = 0; j < h; j++)
        {
            T ig = act[I * h + j], fg = act[F * h + j], gg = act[G * h + j], og = act[O * h + j];
            T hc = hAct.Apply(c[j]);
            // m = o ⊙ h(c)
            T dao = dm[j] * hc * fAct.Derivative(Clip(a[O * h + j], o.Clip)) * ClipGrad(a[O * h + j], o.Clip);
            T dct = dc[j] + dm[j] * og * hAct.Derivative(c[j]);
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
        OuterAdd<T>(gw.R, 0, 4 * h, ho, da, hPrev);
        for (int j = 0; j < 4 * h; j++)
        {
            gw.Bw[j] += da[j];
            gw.Br[j] += da[j];
        }
        MatTVecAdd<T>(w.W, 0, 4 * h, inSize, da, grads.DX.AsSpan((t * tr.Batch + b) * inSize, inSize));
        dh.Clear();
        MatTVecAdd<T>(w.R, 0, 4 * h, ho, da, dh);
        dcPrev.CopyTo(dc);
    }
}
