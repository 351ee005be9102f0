using System.Runtime.CompilerServices;

namespace LstmNative.Cpu.Kernels;

/// <summary>
/// The fused LSTM gate/cell update for one batch row and a range of unit blocks, default activations
/// (sigmoid, tanh, tanh), with clip, peepholes and input_forget. Columns are interleaved by unit block
/// (<c>[u][i f g o][NR]</c>); states are padded to Hpad.
/// </summary>
internal static unsafe class LstmPointwise
{
    /// <summary>
    /// Forward. <paramref name="pre"/> holds X·W for this row and receives the full pre-activations (bias, recurrent
    /// product and peepholes included, unclipped); <paramref name="act"/> (may be null) receives i, f, g, o.
    /// <paramref name="rec"/> (the recurrent product) is consumed and used as scratch.
    /// </summary>
    /// <remarks>
    /// Two passes over the (L1-resident) unit blocks instead of one: an LSTM unit is a chain of two activation latencies
    /// (i, f, g, then c, then tanh(c) and o), about 120 cycles, against some 150 instructions, so a single fused loop is
    /// latency-bound. Pass 1 computes the independent i, f, g activations of every block; pass 2 the cell update and
    /// the output. Iterations of each pass are independent, so the core overlaps them (about 2.5× faster at H = 64).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<TV>(float* pre, float* rec, float* bias, float* peep, int hpad, float* cprev, float* cout,
        float* hout, float* act, int u0, int u1, int nr, float clip, bool inputForget) where TV : unmanaged, IVec<TV>
    {
        // Two methods rather than one: with every activation inlined, one body has more locals than the JIT tracks in
        // registers (1024), and the rest live on the stack (about 12 % slower at H = 64).
        ForwardGates<TV>(pre, rec, bias, peep, hpad, cprev, u0, u1, nr, clip, inputForget);
        ForwardCell<TV>(pre, rec, peep, hpad, cprev, cout, hout, act, u0, u1, nr, clip);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ForwardGates<TV>(float* pre, float* rec, float* bias, float* peep, int hpad, float* cprev,
        int u0, int u1, int nr, float clip, bool inputForget) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV hi = TV.Broadcast(clip), lo = TV.Broadcast(-clip), one = TV.Broadcast(1f);
        // Pass 1: pre-activations of all four gates; i, f, g activated into rec's i, f, g slots.
        for (int u = u0; u < u1; u++)
        {
            for (int v = 0; v < nr; v += w)
            {
                int col = u * 4 * nr + v, j = u * nr + v;
                TV ai = TV.Add(TV.Add(TV.Load(pre + col), TV.Load(rec + col)), TV.Load(bias + col));
                TV af = TV.Add(TV.Add(TV.Load(pre + col + nr), TV.Load(rec + col + nr)), TV.Load(bias + col + nr));
                TV ag = TV.Add(TV.Add(TV.Load(pre + col + 2 * nr), TV.Load(rec + col + 2 * nr)), TV.Load(bias + col + 2 * nr));
                TV ao = TV.Add(TV.Add(TV.Load(pre + col + 3 * nr), TV.Load(rec + col + 3 * nr)), TV.Load(bias + col + 3 * nr));
                if (peep != null)
                {
                    TV cp = TV.Load(cprev + j);
                    ai = TV.Fma(TV.Load(peep + j), cp, ai);
                    af = TV.Fma(TV.Load(peep + hpad + j), cp, af);
                }
                TV i = FastMath.Sigmoid(TV.Min(TV.Max(ai, lo), hi));
                TV f = inputForget ? TV.Sub(one, i) : FastMath.Sigmoid(TV.Min(TV.Max(af, lo), hi));
                TV g = FastMath.Tanh(TV.Min(TV.Max(ag, lo), hi));
                TV.Store(pre + col, ai);
                TV.Store(pre + col + nr, af);
                TV.Store(pre + col + 2 * nr, ag);
                TV.Store(pre + col + 3 * nr, ao);
                TV.Store(rec + col, i);
                TV.Store(rec + col + nr, f);
                TV.Store(rec + col + 2 * nr, g);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ForwardCell<TV>(float* pre, float* rec, float* peep, int hpad, float* cprev, float* cout, float* hout,
        float* act, int u0, int u1, int nr, float clip) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV hi = TV.Broadcast(clip), lo = TV.Broadcast(-clip);
        // Pass 2: cell update, output gate (its peephole reads the new c), hidden state.
        for (int u = u0; u < u1; u++)
        {
            for (int v = 0; v < nr; v += w)
            {
                int col = u * 4 * nr + v, j = u * nr + v;
                TV i = TV.Load(rec + col), f = TV.Load(rec + col + nr), g = TV.Load(rec + col + 2 * nr);
                TV c = TV.Fma(f, TV.Load(cprev + j), TV.Mul(i, g));
                TV ao = TV.Load(pre + col + 3 * nr);
                if (peep != null)
                {
                    ao = TV.Fma(TV.Load(peep + 2 * hpad + j), c, ao);
                    TV.Store(pre + col + 3 * nr, ao);
                }
                TV o = FastMath.Sigmoid(TV.Min(TV.Max(ao, lo), hi));
                TV h = TV.Mul(o, FastMath.Tanh(c));
                if (act != null)
                {
                    TV.Store(act + col, i);
                    TV.Store(act + col + nr, f);
                    TV.Store(act + col + 2 * nr, g);
                    TV.Store(act + col + 3 * nr, o);
                }
                TV.Store(cout + j, c);
                TV.Store(hout + j, h);
            }
        }
    }

    /// <summary>
    /// Backward through one step. On entry <paramref name="dh"/>/<paramref name="dc"/> hold dL/dh_t (without dY) and
    /// dL/dc_t; on exit dh holds 0 (the direct part of dL/dh_{t-1}; the recurrent GEMM adds the rest) and dc holds dL/dc_{t-1}.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<TV>(float* act, float* pre, float* c, float* cprev, float* dh, float* dy, float* dc, float* da,
        float* peep, float* dpeep, int hpad, int u0, int u1, int nr, float clip, bool inputForget) where TV : unmanaged, IVec<TV>
    {
        int w = TV.Count;
        TV lim = TV.Broadcast(clip), one = TV.Broadcast(1f);
        for (int u = u0; u < u1; u++)
        {
            for (int v = 0; v < nr; v += w)
            {
                int col = u * 4 * nr + v, j = u * nr + v;
                TV i = TV.Load(act + col), f = TV.Load(act + col + nr), g = TV.Load(act + col + 2 * nr), o = TV.Load(act + col + 3 * nr);
                TV ct = TV.Load(c + j), cp = TV.Load(cprev + j);
                TV dht = TV.Load(dh + j);
                if (dy != null)
                    dht = TV.Add(dht, TV.Load(dy + j));
                TV hc = FastMath.Tanh(ct);
                // h = o ⊙ tanh(c)
                TV dao = TV.Mul(TV.Mul(TV.Mul(dht, hc), TV.Mul(o, TV.Sub(one, o))), TV.ClipMask(TV.Load(pre + col + 3 * nr), lim));
                TV dct = TV.Fma(TV.Mul(dht, o), TV.Fnma(hc, hc, one), TV.Load(dc + j));
                if (peep != null)
                {
                    dct = TV.Fma(dao, TV.Load(peep + 2 * hpad + j), dct);
                    TV.Store(dpeep + 2 * hpad + j, TV.Fma(dao, ct, TV.Load(dpeep + 2 * hpad + j)));
                }
                // c = f ⊙ c_prev + i ⊙ g
                TV di = TV.Mul(dct, g);
                TV df = TV.Mul(dct, cp);
                TV dg = TV.Mul(dct, i);
                TV dcp = TV.Mul(dct, f);
                TV daf;
                if (inputForget)
                {
                    di = TV.Sub(di, df);
                    daf = TV.Zero;
                }
                else
                {
                    daf = TV.Mul(TV.Mul(df, TV.Mul(f, TV.Sub(one, f))), TV.ClipMask(TV.Load(pre + col + nr), lim));
                }
                TV dai = TV.Mul(TV.Mul(di, TV.Mul(i, TV.Sub(one, i))), TV.ClipMask(TV.Load(pre + col), lim));
                TV dag = TV.Mul(TV.Mul(dg, TV.Fnma(g, g, one)), TV.ClipMask(TV.Load(pre + col + 2 * nr), lim));
                if (peep != null)
                {
                    dcp = TV.Fma(dai, TV.Load(peep + j), TV.Fma(daf, TV.Load(peep + hpad + j), dcp));
                    TV.Store(dpeep + j, TV.Fma(dai, cp, TV.Load(dpeep + j)));
                    TV.Store(dpeep + hpad + j, TV.Fma(daf, cp, TV.Load(dpeep + hpad + j)));
                }
                TV.Store(da + col, dai);
                TV.Store(da + col + nr, daf);
                TV.Store(da + col + 2 * nr, dag);
                TV.Store(da + col + 3 * nr, dao);
                TV.Store(dc + j, dcp);
                TV.Store(dh + j, TV.Zero);
            }
        }
    }
}
