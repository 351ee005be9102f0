using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// The second yardstick (see <see cref="Calibration"/>): a matrix-vector product streaming a 1024 × 256 float matrix
/// (1 MiB, the size of R for an LSTM with H = 256) eight times, then a 64 × 64 × 64 product on L1-resident data. Its
/// matrix does not fit a per-core cache, so its speed follows the shared cache and memory traffic of the neighbours,
/// which the cases with large weights feel and the compute yardstick does not.
/// </summary>
internal sealed class MemoryCalibration : IGateWorkload
{
    /// <summary>Part of <see cref="Calibration.Version"/>; bump it whenever anything in this class changes.</summary>
    public const string Version = "gemv-1024x256x8+gemm64/1";

    private const int Rows = 1024;
    private const int Cols = 256;
    private const int Steps = 8;
    private const int G = 64;

    private readonly AlignedFloats _matrix = new(Rows * Cols);
    private readonly AlignedFloats _x0 = new(Cols);
    private readonly AlignedFloats _x = new(Cols);
    private readonly AlignedFloats _y = new(Rows);
    private readonly AlignedFloats _a = new(G * G);
    private readonly AlignedFloats _b = new(G * G);
    private readonly AlignedFloats _c = new(G * G);

    public MemoryCalibration()
    {
        // A fixed generator and fixed ranges: the work (and the absence of denormals) is identical on every machine.
        var random = new Random(20261127);
        var matrix = _matrix.Span;
        for (int i = 0; i < matrix.Length; i++)
            matrix[i] = (float)((random.NextDouble() * 2 - 1) * 0.06);
        var x0 = _x0.Span;
        for (int i = 0; i < x0.Length; i++)
            x0[i] = (float)(random.NextDouble() * 2 - 1);
        Span<float> a = _a.Span, b = _b.Span;
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)(random.NextDouble() * 2 - 1);
            b[i] = (float)(random.NextDouble() * 2 - 1);
        }
    }

    /// <summary>A value that depends on every output, so no part of the work can be skipped.</summary>
    public float Checksum { get; private set; }

    // Fully optimised from the first call: no tiering or profile-guided recompilation that could differ between processes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run()
    {
        Span<float> x = _x.Span, y = _y.Span;
        _x0.Span.CopyTo(x);
        for (int step = 0; step < Steps; step++)
        {
            Gemv(ref _matrix.First, ref _x.First, y);
            // softsign(y) keeps |x| < 1 and away from denormals whatever the step count; the first Cols rows feed back.
            for (int i = 0; i < Cols; i++)
                x[i] = y[i] / (1f + MathF.Abs(y[i]));
        }
        Gemm(_a.Span, ref _b.First, ref _c.First);
        Checksum = x[0] + y[Rows - 1] + _c.Span[G * G - 1];
    }

    public void Dispose()
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Gemv(ref float m, ref float xv, Span<float> y)
    {
        for (int r = 0; r < Rows; r += 4)
        {
            // Four rows at once: four independent FMA chains hide the FMA latency, as an engine's GEMV does.
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 0; k < Cols; k += 8)
            {
                var v = Vector256.LoadUnsafe(ref xv, (nuint)k);
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, (nuint)(r * Cols + k)), v, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, (nuint)((r + 1) * Cols + k)), v, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, (nuint)((r + 2) * Cols + k)), v, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref m, (nuint)((r + 3) * Cols + k)), v, s3);
            }
            y[r] = Vector256.Sum(s0);
            y[r + 1] = Vector256.Sum(s1);
            y[r + 2] = Vector256.Sum(s2);
            y[r + 3] = Vector256.Sum(s3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Gemm(ReadOnlySpan<float> a, ref float bv, ref float cv)
    {
        MemoryMarshal.CreateSpan(ref cv, G * G).Clear();
        for (int i = 0; i < G; i++)
        {
            for (int k = 0; k < G; k++)
            {
                var aik = Vector256.Create(a[i * G + k]);
                for (int j = 0; j < G; j += 8)
                {
                    var acc = Vector256.LoadUnsafe(ref cv, (nuint)(i * G + j));
                    Vector256.FusedMultiplyAdd(aik, Vector256.LoadUnsafe(ref bv, (nuint)(k * G + j)), acc).StoreUnsafe(ref cv, (nuint)(i * G + j));
                }
            }
        }
    }
}
