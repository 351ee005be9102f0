using System.Numerics;
using System.Runtime.InteropServices;
using LstmNative.Cpu;

namespace LstmNative.Translation;

/// <summary>
/// One decoder step for R rows (rows map to encoder batch rows through <c>sourceRow</c>, so beams share an encoding):
/// LSTM cell on <c>[emb; feed; h]</c>, masked attention (with coverage), context, attentional state. Keeps what its
/// backward pass needs; a training pass holds one per target step, a decoding session reuses one and runs it on as
/// many rows as are still live (<see cref="Rows"/> up to <see cref="Capacity"/>).
/// </summary>
internal sealed class DecoderStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _e, _h;

    public DecoderStep(int rows, int sourceSteps, int embedding, int hidden, bool additive)
    {
        Capacity = rows;
        Rows = rows;
        SourceSteps = sourceSteps;
        _e = embedding;
        _h = hidden;
        Xcat = new T[rows * (embedding + 2 * hidden)];
        Gates = new T[rows * 4 * hidden];
        CPrev = new T[rows * hidden];
        C = new T[rows * hidden];
        TanhC = new T[rows * hidden];
        H = new T[rows * hidden];
        Query = additive ? new T[rows * hidden] : [];
        Z = additive ? new T[rows * sourceSteps * hidden] : [];
        Attention = new T[rows * sourceSteps];
        CoverageIn = new T[rows * sourceSteps];
        Comb = new T[rows * 3 * hidden];
        Htil = new T[rows * hidden];
    }

    /// <summary>The most rows the buffers hold.</summary>
    public int Capacity { get; }

    /// <summary>The rows the next <see cref="Forward"/> computes (the first <c>Rows</c> of every buffer).</summary>
    public int Rows
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Capacity);
            field = value;
        }
    }
    public int SourceSteps { get; }
    public T[] Xcat { get; }
    public T[] Gates { get; }
    public T[] CPrev { get; }
    public T[] C { get; }
    public T[] TanhC { get; }
    public T[] H { get; }
    public T[] Query { get; }
    public T[] Z { get; }
    public T[] Attention { get; }
    public T[] CoverageIn { get; }
    public T[] Comb { get; }
    public T[] Htil { get; }

    /// <summary>Runs the step. <paramref name="coverage"/> (R×S) is the attention summed over earlier steps.</summary>
    public void Forward(Seq2SeqModel<T> m, EncoderPass<T> enc, int[] sourceRow, ReadOnlySpan<T> emb, ReadOnlySpan<T> hPrev,
        ReadOnlySpan<T> cPrev, ReadOnlySpan<T> feedPrev, ReadOnlySpan<T> coverage)
    {
        int e = _e, h = _h, rows = Rows, S = SourceSteps, xw = e + 2 * h;
        for (int r = 0; r < rows; r++)
        {
            emb.Slice(r * e, e).CopyTo(Xcat.AsSpan(r * xw, e));
            feedPrev.Slice(r * h, h).CopyTo(Xcat.AsSpan(r * xw + e, h));
            hPrev.Slice(r * h, h).CopyTo(Xcat.AsSpan(r * xw + e + h, h));
        }
        cPrev[..(rows * h)].CopyTo(CPrev);
        coverage[..(rows * S)].CopyTo(CoverageIn);
        Gates.AsSpan(0, rows * 4 * h).Clear();
        Gemm.MulABt(Xcat, m.DecoderWeight.Value.Data, Gates, rows, xw, 4 * h);
        var bias = m.DecoderBias.Value.Data;
        for (int r = 0; r < rows; r++)
        {
            var g = Gates.AsSpan(r * 4 * h, 4 * h);
            Gemm.Add<T>(g, bias);
            Activate(g[..(2 * h)], tanh: false);
            Activate(g.Slice(2 * h, h), tanh: true);
            Activate(g.Slice(3 * h, h), tanh: false);
            var c = C.AsSpan(r * h, h);
            Cell(g[..h], g.Slice(h, h), g.Slice(2 * h, h), CPrev.AsSpan(r * h, h), c);
            var tc = TanhC.AsSpan(r * h, h);
            c.CopyTo(tc);
            Activate(tc, tanh: true);
            Gemm.Multiply<T>(g.Slice(3 * h, h), tc, H.AsSpan(r * h, h));
        }
        bool additive = m.Settings.Attention == AttentionKind.Additive;
        if (additive)
        {
            Query.AsSpan(0, rows * h).Clear();
            Gemm.MulABt(H, m.AttentionQuery!.Value.Data, Query, rows, h, h);
        }
        var cov = m.CoverageWeight?.Value.Data;
        Comb.AsSpan(0, rows * 3 * h).Clear();
        for (int r = 0; r < rows; r++)
        {
            int b = sourceRow[r], len = enc.Lengths[b];
            var a = Attention.AsSpan(r * S, S);
            a.Clear();
            var hr = H.AsSpan(r * h, h);
            T max = T.NegativeInfinity;
            for (int s = 0; s < len; s++)
            {
                var key = enc.Keys.AsSpan((b * S + s) * h, h);
                T score;
                if (additive)
                {
                    var z = Z.AsSpan((r * S + s) * h, h);
                    var q = Query.AsSpan(r * h, h);
                    T cv = CoverageIn[r * S + s];
                    for (int j = 0; j < h; j++)
                        z[j] = T.Tanh(q[j] + key[j] + (cov is null ? T.Zero : cov[j] * cv));
                    score = Gemm.Dot<T>(z, m.AttentionVector!.Value.Data);
                }
                else
                {
                    score = Gemm.Dot<T>(hr, key);
                    if (cov is not null)
                        score += cov[0] * CoverageIn[r * S + s];
                }
                a[s] = score;
                if (score > max)
                    max = score;
            }
            T sum = T.Zero;
            for (int s = 0; s < len; s++)
                sum += a[s] = T.Exp(a[s] - max);
            var ctx = Comb.AsSpan(r * 3 * h, 2 * h);
            for (int s = 0; s < len; s++)
            {
                a[s] /= sum;
                Gemm.Axpy(a[s], enc.States.AsSpan((b * S + s) * 2 * h, 2 * h), ctx);
            }
            hr.CopyTo(Comb.AsSpan(r * 3 * h + 2 * h, h));
        }
        Htil.AsSpan(0, rows * h).Clear();
        Gemm.MulABt(Comb, m.Combine.Value.Data, Htil, rows, 3 * h, h);
        Activate(Htil.AsSpan(0, rows * h), tanh: true);
    }

    // float (training and decoding) takes the engine's vectorised activations; double (the gradient checks) stays exact.
    private static void Activate(Span<T> x, bool tanh)
    {
        if (typeof(T) == typeof(float))
        {
            var f = MemoryMarshal.Cast<T, float>(x);
            if (tanh)
                VectorMath.Tanh(f, f);
            else
                VectorMath.Sigmoid(f, f);
            return;
        }
        for (int i = 0; i < x.Length; i++)
            x[i] = tanh ? T.Tanh(x[i]) : Sigmoid(x[i]);
    }

    // c = f ⊙ c_prev + i ⊙ g
    private static void Cell(ReadOnlySpan<T> i, ReadOnlySpan<T> f, ReadOnlySpan<T> g, ReadOnlySpan<T> cPrev, Span<T> c)
    {
        var vi = MemoryMarshal.Cast<T, Vector<T>>(i);
        var vf = MemoryMarshal.Cast<T, Vector<T>>(f);
        var vg = MemoryMarshal.Cast<T, Vector<T>>(g);
        var vp = MemoryMarshal.Cast<T, Vector<T>>(cPrev);
        var vc = MemoryMarshal.Cast<T, Vector<T>>(c);
        for (int v = 0; v < vc.Length; v++)
            vc[v] = vf[v] * vp[v] + vi[v] * vg[v];
        for (int k = vc.Length * Vector<T>.Count; k < c.Length; k++)
            c[k] = f[k] * cPrev[k] + i[k] * g[k];
    }

    /// <summary>
    /// Back-propagates the step. In: dL/dh̃ (<paramref name="dHtil"/>), dL/dh and dL/dc from the next step, dL/d(coverage
    /// after this step) <paramref name="dCoverageOut"/>, and the coverage-loss weight per row (0 for padded target
    /// positions). Out (overwritten): dL/d(embedding), dL/d(previous h̃, h, c, coverage); adds into the encoder
    /// gradients and the parameters' gradients.
    /// </summary>
    public void Backward(Seq2SeqModel<T> m, EncoderPass<T> enc, int[] sourceRow, T[] dHtil, T[] dH, T[] dC, T[] dCoverageOut,
        T[] coverageLossWeight, T[] dStates, T[] dKeys, Span<T> dEmb, T[] dFeedPrev, T[] dHPrev, T[] dCPrev, T[] dCoveragePrev, T[] scratch)
    {
        int e = _e, h = _h, rows = Rows, S = SourceSteps, xw = e + 2 * h;
        // h̃ = tanh(W_c [ctx; h])
        var dPre = new T[rows * h];
        for (int i = 0; i < dPre.Length; i++)
            dPre[i] = dHtil[i] * (T.One - Htil[i] * Htil[i]);
        Gemm.MulAtB(dPre, Comb, m.Combine.Grad.Data, rows, h, 3 * h);
        var dComb = new T[rows * 3 * h];
        Gemm.MulAB(dPre, m.Combine.Value.Data, dComb, rows, h, 3 * h);
        bool additive = m.Settings.Attention == AttentionKind.Additive;
        var cov = m.CoverageWeight?.Value.Data;
        var dQuery = additive ? new T[rows * h] : [];
        var dA = scratch.AsSpan(0, S);
        for (int r = 0; r < rows; r++)
        {
            int b = sourceRow[r], len = enc.Lengths[b];
            var a = Attention.AsSpan(r * S, S);
            var dCtx = dComb.AsSpan(r * 3 * h, 2 * h);
            var dh = dH.AsSpan(r * h, h);
            var dCombH = dComb.AsSpan(r * 3 * h + 2 * h, h);
            for (int j = 0; j < h; j++)
                dh[j] += dCombH[j];
            T lw = coverageLossWeight[r];
            T sumAdA = T.Zero;
            for (int s = 0; s < len; s++)
            {
                int rs = r * S + s;
                T da = dCoverageOut[rs] + Gemm.Dot<T>(dCtx, enc.States.AsSpan((b * S + s) * 2 * h, 2 * h));
                dCoveragePrev[rs] = dCoverageOut[rs];
                if (lw != T.Zero)
                {
                    if (a[s] < CoverageIn[rs])
                        da += lw;
                    else
                        dCoveragePrev[rs] += lw;
                }
                Gemm.Axpy(a[s], dCtx, dStates.AsSpan((b * S + s) * 2 * h, 2 * h));
                dA[s] = da;
                sumAdA += a[s] * da;
            }
            for (int s = len; s < S; s++)
                dCoveragePrev[r * S + s] = dCoverageOut[r * S + s];
            var hr = H.AsSpan(r * h, h);
            for (int s = 0; s < len; s++)
            {
                int rs = r * S + s;
                T dScore = a[s] * (dA[s] - sumAdA);
                var dKey = dKeys.AsSpan((b * S + s) * h, h);
                if (additive)
                {
                    var z = Z.AsSpan(rs * h, h);
                    var v = m.AttentionVector!.Value.Data;
                    var dv = m.AttentionVector.Grad.Data;
                    var dq = dQuery.AsSpan(r * h, h);
                    T dCovDot = T.Zero;
                    for (int j = 0; j < h; j++)
                    {
                        dv[j] += dScore * z[j];
                        T dz = dScore * v[j] * (T.One - z[j] * z[j]);
                        dq[j] += dz;
                        dKey[j] += dz;
                        if (cov is not null)
                        {
                            m.CoverageWeight!.Grad.Data[j] += dz * CoverageIn[rs];
                            dCovDot += dz * cov[j];
                        }
                    }
                    dCoveragePrev[rs] += dCovDot;
                }
                else
                {
                    var key = enc.Keys.AsSpan((b * S + s) * h, h);
                    Gemm.Axpy(dScore, key, dh);
                    Gemm.Axpy(dScore, hr, dKey);
                    if (cov is not null)
                    {
                        m.CoverageWeight!.Grad.Data[0] += dScore * CoverageIn[rs];
                        dCoveragePrev[rs] += cov[0] * dScore;
                    }
                }
            }
        }
        if (additive)
        {
            Gemm.MulAB(dQuery, m.AttentionQuery!.Value.Data, dH, rows, h, h);
            Gemm.MulAtB(dQuery, H, m.AttentionQuery.Grad.Data, rows, h, h);
        }
        // LSTM cell
        var dGates = new T[rows * 4 * h];
        var db = m.DecoderBias.Grad.Data;
        for (int r = 0; r < rows; r++)
        {
            var g = Gates.AsSpan(r * 4 * h, 4 * h);
            var dg = dGates.AsSpan(r * 4 * h, 4 * h);
            for (int j = 0; j < h; j++)
            {
                int k = r * h + j;
                T i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j];
                T dc = dC[k] + dH[k] * o * (T.One - TanhC[k] * TanhC[k]);
                dg[j] = dc * gg * i * (T.One - i);
                dg[h + j] = dc * CPrev[k] * f * (T.One - f);
                dg[2 * h + j] = dc * i * (T.One - gg * gg);
                dg[3 * h + j] = dH[k] * TanhC[k] * o * (T.One - o);
                dCPrev[k] = dc * f;
            }
            for (int j = 0; j < 4 * h; j++)
                db[j] += dg[j];
        }
        Gemm.MulAtB(dGates, Xcat, m.DecoderWeight.Grad.Data, rows, 4 * h, xw);
        var dX = new T[rows * xw];
        Gemm.MulAB(dGates, m.DecoderWeight.Value.Data, dX, rows, 4 * h, xw);
        for (int r = 0; r < rows; r++)
        {
            dX.AsSpan(r * xw, e).CopyTo(dEmb.Slice(r * e, e));
            dX.AsSpan(r * xw + e, h).CopyTo(dFeedPrev.AsSpan(r * h, h));
            dX.AsSpan(r * xw + e + h, h).CopyTo(dHPrev.AsSpan(r * h, h));
        }
    }

    private static T Sigmoid(T x) => T.One / (T.One + T.Exp(-x));
}
