using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Model;

namespace LstmNative.Benchmarks;

/// <summary>
/// <c>tail H THREADS RUNS ENGINE [WARMUP_SECONDS]</c>: the distribution of single-run latencies (LSTM, I = H, T = 100, B = 1) of one
/// session. ENGINE = <c>claimed</c> (ours: the forward's chunks go to whichever worker takes them), <c>static</c> (ours
/// with each worker owning a fixed share, as before) or <c>ort</c> (ONNX Runtime on the same model, IntraOpNumThreads =
/// THREADS), <c>int8</c> (our int8 weights) or <c>ort-int8</c> (ORT's DynamicQuantizeLSTM). What a latency-critical caller sees is the tail, not the best run: run one process per engine, alternated,
/// idle and beside a CPU-bound neighbour, and compare the percentiles. <c>LSTMNATIVE_TAIL_CELL=gru</c> times a GRU
/// (linear_before_reset = 1) instead; <c>LSTMNATIVE_TAIL_MIN_STEP_WORK=N</c> sets the multiply-adds per step below which
/// the recurrence stays on one worker (<see cref="LayerExecutor.MinParallelStepWork"/>), to time either side of it;
/// <c>LSTMNATIVE_TAIL_BATCH=B</c> runs batch B. <c>LSTMNATIVE_ONE_WAY=1</c> (Program.cs) reads R in one direction at every step, as before the walk alternated.
/// </summary>
internal static class TailLatency
{
    public static void Run(int hidden, int threads, int runs, string engine, double warmupSeconds)
    {
        LayerExecutor.ClaimedForwardEnabled = engine switch
        {
            "claimed" or "ort" or "claimed1" or "claimed2" or "claimed4" or "int8" or "ort-int8" => true,
            "static" => false,
            _ => throw new ArgumentException($"engine must be claimed, static, ort, int8 or ort-int8, got '{engine}'"),
        };
        if (engine.StartsWith("claimed", StringComparison.Ordinal) && engine.Length > 7)
            LayerExecutor.ChunksPerWorker = engine[7] - '0'; // experiments: chunks per worker
        // int8: our int8 model (native VNNI kernel where the CPU has it); ort-int8: ORT's DynamicQuantizeLSTM.
        var precision = engine is "int8" or "ort-int8" ? CpuPrecision.Int8 : CpuPrecision.Fp32;
        var cell = Environment.GetEnvironmentVariable("LSTMNATIVE_TAIL_CELL") == "gru" ? RnnCellType.Gru : RnnCellType.Lstm;
        if (long.TryParse(Environment.GetEnvironmentVariable("LSTMNATIVE_TAIL_MIN_STEP_WORK"), out long minStepWork))
            LayerExecutor.MinParallelStepWork = minStepWork;
        // LSTMNATIVE_TAIL_MIN_ROWS_SPLIT=N: rows per worker from which a batch splits by rows instead of by units.
        if (int.TryParse(Environment.GetEnvironmentVariable("LSTMNATIVE_TAIL_MIN_ROWS_SPLIT"), out int minRows))
            LayerExecutor.MinRowsPerWorkerForBatchSplit = minRows;
        // LSTMNATIVE_TAIL_BATCH=B: batch B instead of 1 (the batched rows, each engine in its own process).
        int batch = int.TryParse(Environment.GetEnvironmentVariable("LSTMNATIVE_TAIL_BATCH"), out int b) && b > 0 ? b : 1;
        using var pair = new RnnPair(cell, hidden, batch, 100, 1, threads, precision);
        Action run = engine.StartsWith("ort", StringComparison.Ordinal) ? pair.RunOnnxRuntime : pair.RunLstmNative;
        // Warm-up: 20 runs, then more until warmupSeconds have passed. A .NET process recompiles its hot methods in the
        // background (tiered compilation) during its first second or so of running them; that compiler thread competes for
        // the cores, so a short warm-up measures start-up as well as steady state. Report both.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 20 || warm.Elapsed.TotalSeconds < warmupSeconds; i++)
            run();
        double warmedFor = warm.Elapsed.TotalSeconds;
        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_TAIL_TRACE") == "1")
        {
            // Which runs were slow (index: ms), to tell a start-up burst from spikes spread over the whole run.
            double median = ms.Order().ElementAt(runs / 2);
            Console.WriteLine(string.Join(' ', ms.Select((v, i) => (v, i)).Where(p => p.v > 2 * median).Select(p => $"{p.i}:{p.v:F1}")));
        }
        // LSTMNATIVE_TAIL_DUMP=FILE: append every run's ms (one per line) so rounds can be pooled afterwards.
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_TAIL_DUMP") is { Length: > 0 } dump)
            File.AppendAllLines(dump, ms.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        Array.Sort(ms);
        double P(double q) => ms[Math.Min(runs - 1, (int)(q * runs))];
        Console.WriteLine($"{engine,-7} {cell} H={hidden} threads={threads} runs={runs} warm-up {warmedFor:F1} s: min {ms[0]:F3}  p50 {P(0.5):F3}  p90 {P(0.9):F3}  p99 {P(0.99):F3}  max {ms[^1]:F3}  mean {ms.Average():F3} ms");
    }
}
