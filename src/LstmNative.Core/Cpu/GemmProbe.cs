using System.Diagnostics;
using LstmNative.Cpu.Kernels;

namespace LstmNative.Cpu;

/// <summary>Measures the engine's packed SGEMM (for the benchmark report's peak numbers).</summary>
public static unsafe class GemmProbe
{
    /// <summary>The largest <c>n</c> <see cref="Measure"/> takes: an <c>n × n</c> matrix must fit one span.</summary>
    public const int MaxSize = 46_340;

    /// <summary>GFLOP/s of one <c>n × n × n</c> product with the active kernel width on <paramref name="threads"/> workers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> not in [1, <see cref="MaxSize"/>], or
    /// <paramref name="threads"/> not in [1, <see cref="WorkerPool.MaxThreads"/>].</exception>
    public static double Measure(int n, int threads)
    {
        // Checked before anything is packed or allocated: the product runs on raw pointers sized from n, and a pool
        // must not be half-built from a bad thread count.
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, MaxSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, WorkerPool.MaxThreads);
        var width = CpuKernels.Active;
        int nr = 2 * (int)width;
        var packed = new PackedMatrix(n, n, nr);
        var a = new AlignedBuffer((long)n * n);
        var c = new AlignedBuffer((long)n * packed.Panels * nr);
        var rng = new Random(3);
        for (int i = 0; i < a.Length; i++)
            a.Span[i] = (float)rng.NextDouble();
        packed.PackRows(a.Pointer, n, default, 0, packed.Panels);
        using var pool = new WorkerPool(threads);
        var job = new Job(width, n, a, packed, c, threads);
        pool.Run(job, threads);
        var sw = Stopwatch.StartNew();
        pool.Run(job, threads);
        return 2.0 * n * n * n / sw.Elapsed.TotalSeconds / 1e9;
    }

    private sealed class Job(KernelWidth width, int n, AlignedBuffer a, PackedMatrix b, AlignedBuffer c, int threads) : IPoolJob
    {
        private readonly AlignedBuffer[] _scratch = Enumerable.Range(0, threads).Select(_ => new AlignedBuffer(Sgemm.ScratchFloats)).ToArray();

        public void Execute(int worker, int workers, SpinBarrier barrier)
        {
            int p0 = b.Panels * worker / workers, pc = b.Panels * (worker + 1) / workers - p0;
            nint ldc = b.Panels * b.PanelWidth;
            float* s = _scratch[worker].Pointer;
            switch (width)
            {
                case KernelWidth.Vector512: Sgemm.Run<Vec512>(n, n, a.Pointer, n, 1, b, p0, pc, c.Pointer, ldc, false, s); break;
                case KernelWidth.Vector256: Sgemm.Run<Vec256>(n, n, a.Pointer, n, 1, b, p0, pc, c.Pointer, ldc, false, s); break;
                default: Sgemm.Run<VecS>(n, n, a.Pointer, n, 1, b, p0, pc, c.Pointer, ldc, false, s); break;
            }
        }
    }
}
