using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;
using LstmNative.PerfGate.Statistics;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// Measures cases relative to the yardsticks (<see cref="Calibration"/>) in one process. After a warm-up that waits for
/// the JIT to go quiet, each round makes <see cref="SamplerSettings.Passes"/> passes of <c>[yardsticks], case,
/// [yardsticks], case, ..., [yardsticks]</c> over all cases on the calling thread (the order rotates from pass to pass),
/// and records per case its time and the mean of the yardstick samples right before and after it, summed over the
/// round's passes. Whatever slows the whole machine in that moment slows both sides and cancels in the ratio.
/// </summary>
internal sealed class InterleavedSampler(SamplerSettings settings, Action<string>? progress = null)
{
    private const int MaxWarmupPasses = 12;

    /// <summary>Measures <paramref name="cases"/> (name and workload) against <paramref name="calibration"/>.</summary>
    public SuiteSamples Measure(IReadOnlyList<(string Name, IGateWorkload Workload)> cases, Calibration calibration)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(calibration);
        settings.Validate();
        if (cases.Count == 0)
            throw new GateException("the suite has no cases");
        var total = Stopwatch.StartNew();
        var all = new List<IGateWorkload> { calibration.Compute, calibration.Memory };
        all.AddRange(cases.Select(c => c.Workload));
        double[] perRep = WarmUp(all);
        // Yardstick samples are half as long as case samples: two of them bracket every case sample.
        int[] reps = perRep.Select((t, w) => (int)Math.Clamp(Math.Ceiling(settings.SampleSeconds * (w < 2 ? 0.5 : 1) / Math.Max(t, 1e-9)), 1, 1_000_000)).ToArray();
        progress?.Invoke($"warm-up done in {total.Elapsed.TotalSeconds:F1} s; {settings.Rounds} rounds of {cases.Count} case(s)");

        int n = cases.Count, rounds = settings.Rounds, passes = settings.Passes;
        var caseSum = new Elapsed[n, rounds];
        var computeSum = new Elapsed[n, rounds];
        var memorySum = new Elapsed[n, rounds];
        var caseTimes = Enumerable.Range(0, n).Select(_ => new List<Elapsed>(rounds * passes)).ToArray();
        var computeTimes = new List<Elapsed>(rounds * (passes * n + 1));

        // Collected now so that garbage from loading models is not collected inside a sample; the workloads allocate nothing.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var oldMode = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        try
        {
            for (int r = 0; r < rounds; r++)
            {
                var (compute, memory) = (Sample(calibration.Compute, reps[0]), Sample(calibration.Memory, reps[1]));
                computeTimes.Add(compute);
                for (int p = 0; p < passes; p++)
                {
                    for (int k = 0; k < n; k++)
                    {
                        int i = (k + r + p) % n;
                        var time = Sample(cases[i].Workload, reps[i + 2]);
                        // Alternating the yardsticks' order keeps each equally close to the case samples on average.
                        var (nextCompute, nextMemory) = (k & 1) == 0
                            ? (Sample(calibration.Compute, reps[0]), Sample(calibration.Memory, reps[1]))
                            : Swap(Sample(calibration.Memory, reps[1]), Sample(calibration.Compute, reps[0]));
                        computeTimes.Add(nextCompute);
                        caseTimes[i].Add(time);
                        caseSum[i, r] += time;
                        computeSum[i, r] += (compute + nextCompute) * 0.5;
                        memorySum[i, r] += (memory + nextMemory) * 0.5;
                        (compute, memory) = (nextCompute, nextMemory);
                    }
                }
                if (progress is not null && (r + 1) % 10 == 0 && r + 1 < rounds)
                    progress($"round {r + 1}/{rounds} ({total.Elapsed.TotalSeconds:F0} s)");
            }
        }
        finally
        {
            GCSettings.LatencyMode = oldMode;
        }

        bool cpu = ThreadCpuClock.IsAvailable;
        var results = new CaseSamples[n];
        for (int i = 0; i < n; i++)
        {
            // Per repetition on every side: the case ran reps[i + 2] repetitions per sample, the yardsticks reps[0], reps[1].
            double caseScale = Math.Log((double)reps[0] / reps[i + 2]), memoryScale = Math.Log((double)reps[0] / reps[1]);
            RatioSamples Ratios(ClockKind clock) => new(
                Enumerable.Range(0, rounds).Select(r => Log(caseSum[i, r].On(clock), computeSum[i, r].On(clock)) + caseScale).ToArray(),
                Enumerable.Range(0, rounds).Select(r => Log(memorySum[i, r].On(clock), computeSum[i, r].On(clock)) + memoryScale).ToArray());
            results[i] = new CaseSamples(
                cases[i].Name,
                reps[i + 2],
                cpu ? Ratios(ClockKind.ThreadCpu) : RatioSamples.Empty,
                Ratios(ClockKind.Wall),
                Stats.Median(caseTimes[i].Select(e => e.Cpu / reps[i + 2])),
                Stats.Median(caseTimes[i].Select(e => e.Wall / reps[i + 2])));
        }
        return new SuiteSamples(results,
            Stats.Median(computeTimes.Select(e => e.Cpu / reps[0])),
            Stats.Median(computeTimes.Select(e => e.Wall / reps[0])),
            Launches: 1,
            total.Elapsed.TotalSeconds,
            cpu);
    }

    private static double Log(double numerator, double denominator) => Math.Log(Math.Max(numerator, 1e-12) / Math.Max(denominator, 1e-12));

    private static (Elapsed Compute, Elapsed Memory) Swap(Elapsed memory, Elapsed compute) => (compute, memory);

    /// <summary>
    /// Runs every workload in passes until a pass compiles no new methods (tiered compilation promotes hot methods on a
    /// background thread after about 30 calls and a 100 ms quiet period; a sample taken before that would time slower
    /// code), then returns each workload's time per repetition from the last pass.
    /// </summary>
    private double[] WarmUp(List<IGateWorkload> workloads)
    {
        var perRep = new double[workloads.Count];
        long compiled = -1;
        for (int pass = 0; pass < MaxWarmupPasses; pass++)
        {
            for (int w = 0; w < workloads.Count; w++)
            {
                int runs = 0;
                var start = ClockReading.Now();
                double spent;
                do
                {
                    workloads[w].Run();
                    runs++;
                    spent = Preferred(ClockReading.Now().Since(start));
                }
                while (runs < 30 || spent < settings.WarmupSeconds);
                perRep[w] = spent / runs;
            }
            // Gives the tiering delay (100 ms) and the background compiler a moment; sleeping costs no CPU on a busy
            // machine. Scaled down with the warm-up time so that tests with tiny settings stay fast.
            Thread.Sleep(TimeSpan.FromSeconds(Math.Min(0.12, 4 * settings.WarmupSeconds)));
            long now = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            if (now == compiled && pass >= 2)
                break;
            compiled = now;
        }
        return perRep;
    }

    // Compiled once, fully optimised: the timing loop itself must not change code (tier-up, PGO) between samples or processes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static Elapsed Sample(IGateWorkload workload, int repetitions)
    {
        var start = ClockReading.Now();
        for (int i = 0; i < repetitions; i++)
            workload.Run();
        return ClockReading.Now().Since(start);
    }

    private static double Preferred(Elapsed e) => ThreadCpuClock.IsAvailable ? e.Cpu : e.Wall;
}
