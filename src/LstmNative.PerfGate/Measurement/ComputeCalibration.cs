using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// The main yardstick every case is divided by (see <see cref="Calibration"/>): a fixed, self-contained LSTM written here
/// (not the engine's code) whose weights stay in a per-core cache.
/// </summary>
/// <remarks>
/// <para>Why an LSTM rather than a plain GEMV/GEMM loop: the first calibration (GEMV over 1 MiB plus a small GEMM, only
/// FMAs and loads) drifted against <i>every</i> case together by up to 8 % from one process to the next on a loaded
/// machine; a yardstick with the same instruction mix as the cases (matrix-vector products, polynomial exp, division,
/// element-wise state updates) responds to the machine's state the way they do.</para>
/// <para>One repetition: H = 128, I = 128, weights [4H, I + H] (512 KiB), 16 steps at batch 1 (bandwidth-bound
/// matrix-vector products) then 4 steps at batch 8 (each weight row reused 8 times: FMA-bound).</para>
/// </remarks>
internal sealed class ComputeCalibration : IGateWorkload
{
    /// <summary>Part of <see cref="Calibration.Version"/>; bump it whenever anything in this class changes.</summary>
    public const string Version = "lstm-h128-i128-b1t16-b8t4/1";

    private const int H = 128;
    private const int I = 128;
    private const int K = I + H;
    private const int G = 4 * H;
    private const int Steps1 = 16;
    private const int Batch8 = 8;
    private const int Steps8 = 4;

    private readonly AlignedFloats _w = new(G * K);
    private readonly AlignedFloats _bias = new(G);
    private readonly AlignedFloats _x = new((Steps1 + Steps8 * Batch8) * I);
    private readonly AlignedFloats _xh = new(Batch8 * K);
    private readonly AlignedFloats _z = new(Batch8 * G);
    private readonly AlignedFloats _c = new(Batch8 * H);

    public ComputeCalibration()
    {
        // A fixed generator and fixed ranges: identical work on every machine, activations out of saturation, no denormals.
        var random = new Random(20261127);
        Fill(_w.Span, random, 1 / MathF.Sqrt(K));
        Fill(_bias.Span, random, 0.1f);
        Fill(_x.Span, random, 1f);
    }

    /// <summary>A value that depends on every output, so no part of the work can be skipped.</summary>
    public float Checksum { get; private set; }

    // Fully optimised from the first call: no tiering or profile-guided recompilation that could differ between processes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run()
    {
        var x = _x.Span;
        float sum = 0;
        sum += Sequence(x[..(Steps1 * I)], batch: 1, Steps1);
        sum += Sequence(x.Slice(Steps1 * I, Steps8 * Batch8 * I), Batch8, Steps8);
        Checksum = sum;
    }

    public void Dispose()
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private float Sequence(ReadOnlySpan<float> x, int batch, int steps)
    {
        Span<float> xh = _xh.Span, z = _z.Span, c = _c.Span;
        xh.Clear();
        c.Clear();
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
                x.Slice((t * batch + b) * I, I).CopyTo(xh.Slice(b * K, I));
            for (int b = 0; b < batch; b++)
                Gemv(ref _w.First, ref xh[b * K], ref z[b * G], ref _bias.First);
            for (int b = 0; b < batch; b++)
                Cell(z.Slice(b * G, G), c.Slice(b * H, H), xh.Slice(b * K + I, H));
        }
        return xh[K - 1] + c[0];
    }

    /// <summary>z = W · [x; h] + bias, four rows at a time (four independent FMA chains, as an engine's GEMV).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Gemv(ref float w, ref float xh, ref float z, ref float bias)
    {
        for (int r = 0; r < G; r += 4)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 0; k < K; k += 8)
            {
                var v = Vector256.LoadUnsafe(ref xh, (nuint)k);
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)(r * K + k)), v, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)((r + 1) * K + k)), v, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)((r + 2) * K + k)), v, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)((r + 3) * K + k)), v, s3);
            }
            Unsafe.Add(ref z, r) = Vector256.Sum(s0) + Unsafe.Add(ref bias, r);
            Unsafe.Add(ref z, r + 1) = Vector256.Sum(s1) + Unsafe.Add(ref bias, r + 1);
            Unsafe.Add(ref z, r + 2) = Vector256.Sum(s2) + Unsafe.Add(ref bias, r + 2);
            Unsafe.Add(ref z, r + 3) = Vector256.Sum(s3) + Unsafe.Add(ref bias, r + 3);
        }
    }

    /// <summary>i, f, o = σ(z), g = tanh(z); c = f·c + i·g; h = o·tanh(c), eight lanes at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Cell(Span<float> z, Span<float> c, Span<float> h)
    {
        ref float zr = ref z[0];
        ref float cr = ref c[0];
        ref float hr = ref h[0];
        for (int j = 0; j < H; j += 8)
        {
            var i = Sigmoid(Vector256.LoadUnsafe(ref zr, (nuint)j));
            var f = Sigmoid(Vector256.LoadUnsafe(ref zr, (nuint)(H + j)));
            var g = Tanh(Vector256.LoadUnsafe(ref zr, (nuint)(2 * H + j)));
            var o = Sigmoid(Vector256.LoadUnsafe(ref zr, (nuint)(3 * H + j)));
            var cell = Vector256.FusedMultiplyAdd(f, Vector256.LoadUnsafe(ref cr, (nuint)j), i * g);
            cell.StoreUnsafe(ref cr, (nuint)j);
            (o * Tanh(cell)).StoreUnsafe(ref hr, (nuint)j);
        }
    }

    private static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    private static Vector256<float> Tanh(Vector256<float> x) => Vector256.Create(2f) * Sigmoid(x + x) - Vector256<float>.One;

    /// <summary>e^x by range reduction to [-ln2/2, ln2/2] and a degree-5 polynomial (Cephes expf coefficients).</summary>
    private static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-87f)), Vector256.Create(87f));
        var n = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(1.44269504f), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500e-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        p = Vector256.FusedMultiplyAdd(p * r, r, r) + Vector256<float>.One;
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
        return p * scale;
    }

    private static void Fill(Span<float> values, Random random, float scale)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
    }
}
