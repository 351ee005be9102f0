using LstmNative.Cpu.Kernels;

namespace LstmNative.Cpu;

/// <summary>
/// General float32 matrix products on the engine's packed SGEMM (<see cref="Sgemm"/>, the kernel the recurrent layers
/// run on), for the dense parts of a model around the recurrent layers (attention, output projections) and their
/// gradients: <c>C[m, n] (+)= op(A)[m, k] · op(B)[k, n]</c>, row-major, either operand optionally transposed.
/// </summary>
/// <remarks>
/// Each call packs B into a per-thread workspace that only grows, so a loop of equal-shaped products allocates
/// nothing after its first call. Products of at least <see cref="ParallelMacs"/> multiply-adds split B's column panels
/// over <see cref="WorkerPool.Shared"/> (each worker packs and multiplies its own panels); smaller ones, and calls made
/// while the shared pool is busy, run on the calling thread. Every output element is summed in the same order whatever
/// the split, so results do not depend on the core count. Safe to call from several threads at once.
/// </remarks>
public static unsafe class CpuGemm
{
    /// <summary>Products smaller than this many multiply-adds run on the calling thread (a pool wake-up costs more).</summary>
    public const long ParallelMacs = 1L << 20;

    [ThreadStatic]
    private static Workspace? _workspace;

    /// <summary>
    /// <c>C[m, n] = op(A) · op(B)</c>, or <c>C += op(A) · op(B)</c> when <paramref name="accumulate"/> is set.
    /// </summary>
    /// <param name="a">A, stored <c>[m, k]</c>, or <c>[k, m]</c> when <paramref name="transposeA"/>.</param>
    /// <param name="transposeA">A is stored transposed.</param>
    /// <param name="b">B, stored <c>[k, n]</c>, or <c>[n, k]</c> (a weight matrix in PyTorch's <c>Linear</c> layout)
    /// when <paramref name="transposeB"/>.</param>
    /// <param name="transposeB">B is stored transposed.</param>
    /// <param name="c">C, <c>[m, n]</c>; must not overlap A or B.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="k">The reduction length.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative size.</exception>
    /// <exception cref="ArgumentException">A span shorter than its matrix.</exception>
    public static void Multiply(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, Span<float> c,
        int m, int k, int n, bool accumulate = false) =>
        Multiply(a, transposeA, b, transposeB, c, m, k, n, accumulate, CpuKernels.Active);

    /// <summary><see cref="Multiply(ReadOnlySpan{float}, bool, ReadOnlySpan{float}, bool, Span{float}, int, int, int, bool)"/>
    /// with a given kernel width (tests run every width).</summary>
    internal static void Multiply(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, Span<float> c,
        int m, int k, int n, bool accumulate, KernelWidth width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        Need(a, (long)m * k, nameof(a));
        Need(b, (long)k * n, nameof(b));
        Need(c, (long)m * n, nameof(c));
        if (m == 0 || n == 0)
            return;
        if (k == 0)
        {
            if (!accumulate)
                c[..(m * n)].Clear();
            return;
        }
        var ws = _workspace ??= new Workspace();
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = ws.Prepare(pa, transposeA, pb, transposeB, pc, m, k, n, accumulate, width);
            long macs = (long)m * k * n;
            int workers = macs < ParallelMacs ? 1 : Math.Min(WorkerPool.Shared.Threads, job.Packed.Panels);
            if (workers <= 1)
                job.Execute(0, 1, SpinBarrier.Single);
            else
                WorkerPool.Shared.Run(job, workers);
            job.Release();
        }
    }

    private static void Need(ReadOnlySpan<float> span, long length, string name)
    {
        if (span.Length < length)
            throw new ArgumentException($"{name} holds {span.Length} floats; the product needs {length}", name);
    }

    /// <summary>One thread's packing storage and the job object it hands to the pool (reused call after call).</summary>
    private sealed class Workspace
    {
        private AlignedBuffer _packed = AlignedBuffer.Empty;
        private readonly ProductJob _job = new();

        public ProductJob Prepare(float* a, bool transposeA, float* b, bool transposeB, float* c, int m, int k, int n, bool accumulate,
            KernelWidth width)
        {
            int nr = 2 * (int)width;
            int panels = (n + nr - 1) / nr;
            long floats = (long)panels * nr * k;
            if (_packed.Length < floats)
                _packed = new AlignedBuffer(Math.Max(floats, _packed.Length * 3L / 2));
            var packed = _job.Packed is { } p && p.K == k && p.N == n && p.PanelWidth == nr && p.Buffer == _packed
                ? p
                : new PackedMatrix(k, n, nr, _packed);
            _job.Set(a, transposeA, b, transposeB, c, m, k, n, accumulate, packed, width);
            return _job;
        }
    }

    /// <summary>A product split by B's column panels: each worker packs its panels of B, then multiplies all rows by them.</summary>
    private sealed class ProductJob : IPoolJob
    {
        private readonly AlignedBuffer?[] _scratch = new AlignedBuffer?[Environment.ProcessorCount];
        private readonly AlignedBuffer?[] _edge = new AlignedBuffer?[Environment.ProcessorCount];
        private float* _a, _b, _c;
        private bool _transposeA, _transposeB, _accumulate;
        private int _m, _k, _n;
        private KernelWidth _width;

        public PackedMatrix Packed { get; private set; } = null!;

        public void Set(float* a, bool transposeA, float* b, bool transposeB, float* c, int m, int k, int n, bool accumulate, PackedMatrix packed,
            KernelWidth width)
        {
            _width = width;
            _a = a;
            _b = b;
            _c = c;
            (_transposeA, _transposeB) = (transposeA, transposeB);
            (_m, _k, _n, _accumulate) = (m, k, n, accumulate);
            Packed = packed;
        }

        /// <summary>Forgets the caller's pointers once the product is done (they are only valid inside its <c>fixed</c>).</summary>
        public void Release()
        {
            _a = null;
            _b = null;
            _c = null;
        }

        public void Execute(int worker, int workers, SpinBarrier barrier)
        {
            var packed = Packed;
            int panels = packed.Panels, nr = packed.PanelWidth;
            int p0 = (int)((long)panels * worker / workers), p1 = (int)((long)panels * (worker + 1) / workers);
            if (p0 == p1)
                return;
            Pack(packed, p0, p1 - p0);
            float* scratch = (_scratch[worker] ??= new AlignedBuffer(Sgemm.ScratchFloats)).Pointer;
            nint ars = _transposeA ? 1 : _k, acs = _transposeA ? _m : 1;
            // Whole panels go straight into C; a last panel that sticks out past column n goes through an m x NR buffer
            // (the micro-kernels store whole panels), then into C.
            int whole = Math.Min(p1, _n / nr) - p0;
            if (whole > 0)
                Run(ars, acs, packed, p0, whole, _c, _n, _accumulate, scratch);
            if (p0 + whole < p1)
            {
                int last = p1 - 1, n0 = last * nr, width = _n - n0;
                var edge = _edge[worker] is { } e && e.Length >= (long)_m * nr ? e : _edge[worker] = new AlignedBuffer((long)_m * nr);
                // The kernel writes panel p at column p·NR of its C pointer: offset the buffer so the last panel lands at 0.
                Run(ars, acs, packed, last, 1, edge.Pointer - n0, nr, false, scratch);
                for (int i = 0; i < _m; i++)
                {
                    var src = new ReadOnlySpan<float>(edge.Pointer + (long)i * nr, width);
                    var dst = new Span<float>(_c + (long)i * _n + n0, width);
                    if (_accumulate)
                        for (int j = 0; j < width; j++)
                            dst[j] += src[j];
                    else
                        src.CopyTo(dst);
                }
            }
        }

        private void Run(nint ars, nint acs, PackedMatrix packed, int p0, int count, float* c, nint ldc, bool accumulate, float* scratch)
        {
            switch (_width)
            {
                case KernelWidth.Vector512:
                    Sgemm.Run<Vec512>(_m, _k, _a, ars, acs, packed, p0, count, c, ldc, accumulate, scratch);
                    break;
                case KernelWidth.Vector256:
                    Sgemm.Run<Vec256>(_m, _k, _a, ars, acs, packed, p0, count, c, ldc, accumulate, scratch);
                    break;
                default:
                    Sgemm.Run<VecS>(_m, _k, _a, ars, acs, packed, p0, count, c, ldc, accumulate, scratch);
                    break;
            }
        }

        private void Pack(PackedMatrix packed, int p0, int count)
        {
            if (!_transposeB)
            {
                packed.PackRows(_b, _n, default, p0, count);
                return;
            }
            // B stored [n, k]: panel p, row k, lane j is b[(p·NR + j)·k + k]. Walk each source row contiguously.
            int nr = packed.PanelWidth, k = _k;
            for (int p = p0; p < p0 + count; p++)
            {
                float* dst = packed.Panel(p);
                for (int j = 0; j < nr; j++)
                {
                    int col = p * nr + j;
                    if (col >= _n)
                    {
                        for (int kk = 0; kk < k; kk++)
                            dst[kk * nr + j] = 0;
                        continue;
                    }
                    float* src = _b + (long)col * k;
                    for (int kk = 0; kk < k; kk++)
                        dst[kk * nr + j] = src[kk];
                }
            }
        }
    }
}
