using System.Diagnostics;
using System.Runtime.InteropServices;
using LstmNative.Cpu;
using LstmNative.Cpu.Kernels;
using LstmNative.Model;

namespace LstmNative.Benchmarks;

/// <summary>
/// One random layer (I = H, weights uniform in ±1/√H, as PyTorch initialises them) packed at fp32, bf16 and int8 (on
/// the native kernels where <see cref="NativeCpu"/> enabled them), and at bf16 on the managed widening kernels, then
/// static int8 (<see cref="Int8Calibration"/>, calibrated on four other sequences of the same distribution, so the timed
/// input is held out) native and managed, and dynamic int8 on the managed kernels; one session per variant on the same
/// input (batch 1 by default), all allocated once.
/// </summary>
internal sealed class PrecisionSet : IDisposable
{
    public static readonly CpuPrecision[] All = [CpuPrecision.Fp32, CpuPrecision.Bf16, CpuPrecision.Int8];

    /// <summary>
    /// What is timed, by index: <see cref="All"/> as packed by default, then bf16 packed for the managed kernels, then
    /// static int8 (native where on, then managed) and dynamic int8 on the managed kernels.
    /// </summary>
    public static readonly (string Name, CpuPrecision Precision, bool Managed, bool Static)[] Variants =
    [
        .. All.Select(p => (p.ToString(), p, false, false)), ("Bf16 managed", CpuPrecision.Bf16, true, false),
        ("Int8 static", CpuPrecision.Int8, false, true), ("Int8 static managed", CpuPrecision.Int8, true, true),
        ("Int8 managed", CpuPrecision.Int8, true, false),
    ];

    /// <summary>Runs <paramref name="pack"/> with the native bf16 and int8 kernels switched off when <paramref name="managed"/> (packs for the managed kernels).</summary>
    public static T Packed<T>(bool managed, Func<T> pack)
    {
        NativeCpu.EnableBf16(!managed);
        NativeCpu.EnableInt8(!managed);
        try
        {
            return pack();
        }
        finally
        {
            NativeCpu.EnableBf16(true);
            NativeCpu.EnableInt8(true);
        }
    }

    private readonly CpuRnnSession[] _sessions;
    private readonly float[] _x;
    private readonly float[][] _y;

    public PrecisionSet(RnnCellType cell, int hidden, int steps, int batch = 1, int threads = 1)
    {
        Steps = steps;
        Batch = batch;
        var rng = new Random(4321);
        var o = new RnnLayerOptions(cell, hidden, hidden) { LinearBeforeReset = cell == RnnCellType.Gru };
        var w = new LayerWeights<float>(o).Randomize(rng, 1.0 / Math.Sqrt(hidden));
        _x = new float[steps * batch * hidden];
        for (int i = 0; i < _x.Length; i++)
            _x[i] = (float)(rng.NextDouble() * 2 - 1);
        Calibration = Calibrate(w, steps, batch, hidden);
        Models = Array.ConvertAll(Variants, v => Packed(v.Managed, () => v.Static ? new CpuRnnModel([w], Calibration) : new CpuRnnModel([w], v.Precision)));
        _sessions = Array.ConvertAll(Models, m => m.CreateSession(batch, steps, threads));
        _y = Array.ConvertAll(Variants, _ => new float[steps * batch * hidden]);
    }

    public int Steps { get; }

    /// <summary>The static int8 ranges: the float32 layer run over four sequences other than the timed one (seed H + 1).</summary>
    public Int8Calibration Calibration { get; }

    private static Int8Calibration Calibrate(LayerWeights<float> w, int steps, int batch, int hidden)
    {
        var rng = new Random(hidden + 1);
        using var calibrator = new Int8Calibrator([w], batch, steps);
        var x = new float[steps * batch * hidden];
        for (int n = 0; n < 4; n++)
        {
            for (int i = 0; i < x.Length; i++)
                x[i] = (float)(rng.NextDouble() * 2 - 1);
            calibrator.Observe(x, steps, batch);
        }
        return calibrator.ToCalibration();
    }

    public int Batch { get; }

    public CpuRnnModel[] Models { get; }

    /// <summary>Runs the whole sequence at variant index <paramref name="i"/> (of <see cref="Variants"/>).</summary>
    public void Run(int i) => _sessions[i].Run(_x, Steps, Batch, _y[i]);

    /// <summary>Streams one step (the session keeps the state) at variant index <paramref name="i"/>.</summary>
    public void Step(int i) => _sessions[i].Step(_x.AsSpan(0, _x.Length / Steps), Batch, _y[i].AsSpan(0, _y[i].Length / Steps));

    /// <summary>max |Y − Y_fp32| of variant index <paramref name="i"/> after one run of each.</summary>
    public double MaxDifference(int i)
    {
        Run(0);
        Run(i);
        double worst = 0;
        for (int k = 0; k < _y[0].Length; k++)
            worst = Math.Max(worst, Math.Abs(_y[i][k] - _y[0][k]));
        return worst;
    }

    public void Dispose()
    {
        foreach (var s in _sessions)
            s.Dispose();
    }

    /// <summary>
    /// The interleaved comparison behind docs/benchmarks.md: per round, each precision runs <paramref name="inner"/> times
    /// back to back, timed by wall clock and by this thread's CPU time (CLOCK_THREAD_CPUTIME_ID: time the scheduler
    /// took away is not counted), then streams 100·inner single steps (<see cref="CpuRnnSession.Step"/>, thread CPU time);
    /// reports the minimum and median per run (per step) over <paramref name="rounds"/> rounds.
    /// </summary>
    public static void Compare(RnnCellType cell, int[] hidden, int rounds, TextWriter output)
    {
        output.WriteLine($"NativeCpu: {NativeCpu.Status}");
        output.WriteLine($"{cell}, I=H, T=100, B=1, 1 thread, {rounds} interleaved rounds; per run: min / median wall, min / median thread CPU (ms); Step: median thread CPU");
        foreach (int h in hidden)
        {
            using var set = new PrecisionSet(cell, h, 100);
            int inner = Math.Max(1, (int)(4_000_000L / ((long)h * h)));
            var wall = Variants.Select(_ => new List<double>()).ToArray();
            var cpu = Variants.Select(_ => new List<double>()).ToArray();
            var step = Variants.Select(_ => new List<double>()).ToArray();
            for (int i = 0; i < Variants.Length; i++)
                set.Run(i); // warm-up (JIT)
            for (int r = 0; r < rounds; r++)
                for (int i = 0; i < Variants.Length; i++)
                {
                    double c0 = Clock.ThreadCpuMs();
                    var sw = Stopwatch.StartNew();
                    for (int n = 0; n < inner; n++)
                        set.Run(i);
                    wall[i].Add(sw.Elapsed.TotalMilliseconds / inner);
                    cpu[i].Add((Clock.ThreadCpuMs() - c0) / inner);
                    c0 = Clock.ThreadCpuMs();
                    for (int n = 0; n < 100 * inner; n++)
                        set.Step(i);
                    step[i].Add((Clock.ThreadCpuMs() - c0) * 1000 / (100 * inner));
                }
            for (int i = 0; i < Variants.Length; i++)
            {
                double err = i == 0 ? 0 : set.MaxDifference(i);
                output.WriteLine($"  H={h,4} {Variants[i].Name,-19}: wall {wall[i].Min(),8:F3} / {Clock.Median(wall[i]),8:F3}  cpu {cpu[i].Min(),8:F3} / {Clock.Median(cpu[i]),8:F3}  step {Clock.Median(step[i]),8:F2} µs" +
                    (i == 0 ? $"  weights {set.Models[i].WeightBytes / 1024.0:F0} KiB"
                        : $"  speed-up (min wall {wall[0].Min() / wall[i].Min():F2}x, median cpu {Clock.Median(cpu[0]) / Clock.Median(cpu[i]):F2}x, step {Clock.Median(step[0]) / Clock.Median(step[i]):F2}x)  max|dY| {err:E1}  weights {set.Models[i].WeightBytes / 1024.0:F0} KiB"));
            }
        }
    }
}

/// <summary>Timing helpers: this thread's CPU time, medians.</summary>
internal static class Clock
{
    public static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec value);

    /// <summary>This thread's CPU time in ms (CLOCK_THREAD_CPUTIME_ID on Linux; wall time elsewhere).</summary>
    public static double ThreadCpuMs()
    {
        const int ClockThreadCpuTime = 3;
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTime, out var t) == 0)
            return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
        return Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;
    }
}
