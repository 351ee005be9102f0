using System.Globalization;
using System.Text;
using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Model;

namespace LstmNative.Gpu.Benchmarks.Inference;

/// <summary>
/// A tuning experiment for the persistent kernel: for a few layer sizes at batch 1, every block split (units per
/// block) and barrier variant, the time of a T = 100 and a T = 200 forward. Their difference over 100 steps is the
/// pure per-step cost (the input GEMM and the kernel's prologue cancel out), which is what the cost model in
/// PersistentPlan estimates. Each variant's output is checked against the standard algorithm first, except the
/// "none" variant, which skips the barrier (wrong results) to measure what the barrier costs.
///
///   LstmNative.Gpu.Benchmarks persistent-sweep [--out FILE.md] [--hidden 256,512,1024] [--budget SECONDS]
/// </summary>
public static class PersistentSweep
{
    private static readonly int[] BlockCounts = [1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128];

    public static int Run(string[] args, TextWriter output)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var hiddens = (Arg("--hidden") ?? "256,512,1024").Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        double budget = double.Parse(Arg("--budget") ?? "90", CultureInfo.InvariantCulture);
        var probe = GpuRuntime.Current;
        if (!probe.IsAvailable)
        {
            output.WriteLine($"persistent sweep not run: {probe.Reason}");
            return 0;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var engine = GpuRnnEngine.Create();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"## Persistent kernel sweep: {engine.Device.Name}, {engine.Limits.MultiprocessorCount} SMs, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        table.AppendLine();
        table.AppendLine("LSTM, I = H, batch 1, FP32. µs/step = (median T=200 − median T=100) / 100 (CUDA events, input on the device).");
        table.AppendLine();
        table.AppendLine("| H | units/block | blocks | barrier | T=100 µs | T=200 µs | µs/step | model µs/step | max diff vs standard |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|");
        int failures = 0;
        foreach (int h in hiddens)
        {
            var layer = new RnnLayerOptions(RnnCellType.Lstm, h, h);
            var weights = new[] { new LayerWeights<float>(layer).Randomize(new Random(h), 1 / Math.Sqrt(h)) };
            var x = new float[200 * h];
            var rng = new Random(h + 1);
            for (int i = 0; i < x.Length; i++)
                x[i] = (float)(rng.NextDouble() * 2 - 1);
            var reference = new float[100 * h];
            using (var model = engine.LoadModel(weights, new GpuInferenceOptions { Algorithm = GpuAlgorithm.Standard }))
            using (var session = model.CreateSession(1, 100))
                session.Run(x.AsSpan(0, 100 * h), 100, 1, reference);
            PersistentPlan.TryCreate(layer, 1, engine.Limits, out var chosen, out _);
            var splits = BlockCounts
                .Select(blocks => (h + blocks - 1) / blocks).Distinct().OrderByDescending(u => u).ToList();
            foreach (int units in splits)
            {
                if (!PersistentPlan.TryCreate(layer, 1, engine.Limits, units, out var plan, out _))
                    continue;
                foreach (var (barrier, variant, name) in new[]
                         {
                             (PersistentBarrier.Flag, 0, "counter barrier"), (PersistentBarrier.Flag, 1, "tagged exchange"), (PersistentBarrier.Cooperative, 0, "cooperative"),
                             (PersistentBarrier.Flag, 2, "none (timing only)"),
                         })
                {
                    if (clock.Elapsed.TotalSeconds > budget)
                    {
                        table.AppendLine(CultureInfo.InvariantCulture, $"| {h} | {units} | {plan!.BlocksPerDirection} | {name} | budget spent | | | | |");
                        continue;
                    }
                    try
                    {
                        var options = new GpuInferenceOptions { Algorithm = GpuAlgorithm.Persistent, Barrier = barrier, ForcedUnitsPerBlock = units, TaggedExchange = variant == 1, SkipBarrierForTiming = variant == 2 };
                        bool skip = variant == 2;
                        using var model = engine.LoadModel(weights, options);
                        using var session = model.CreateSession(1, 200);
                        var y = new float[100 * h];
                        session.Run(x.AsSpan(0, 100 * h), 100, 1, y);
                        double diff = 0;
                        for (int i = 0; i < y.Length; i++)
                            diff = Math.Max(diff, float.IsNaN(y[i]) ? double.PositiveInfinity : Math.Abs(y[i] - reference[i]));
                        if (diff > 1e-3 && !skip)
                            failures++;
                        using var timer = new EventTimer(engine.Context);
                        session.UploadInput(x);
                        var stream = session.Stream!;
                        var t100 = timer.Measure(stream, _ => { }, () => session.EnqueueResident(100, 1), 3, 15, 60, TimeSpan.FromMilliseconds(300));
                        var t200 = timer.Measure(stream, _ => { }, () => session.EnqueueResident(200, 1), 3, 15, 60, TimeSpan.FromMilliseconds(300));
                        double perStep = (t200.Median - t100.Median) / 100;
                        string mark = chosen is not null && chosen.UnitsPerBlock == units ? " (model's choice)" : "";
                        string line = string.Create(CultureInfo.InvariantCulture,
                            $"| {h} | {units}{mark} | {plan!.BlocksPerDirection} | {name} | {t100.Median:F1} | {t200.Median:F1} | {perStep:F2} | {plan.EstimatedStepMicroseconds:F2} | {(skip ? "(not checked: no barrier)" : diff.ToString("E1", CultureInfo.InvariantCulture) + (diff > 1e-3 ? " WRONG" : ""))} |");
                        table.AppendLine(line);
                        output.WriteLine(line);
                    }
                    catch (Exception e) when (e is CudaException or NotSupportedException or InvalidOperationException)
                    {
                        table.AppendLine(CultureInfo.InvariantCulture, $"| {h} | {units} | {plan!.BlocksPerDirection} | {name} | failed: {e.Message.Split('\n')[0].Replace('|', '/')} | | | | |");
                        failures++;
                    }
                }
            }
        }
        string text = table.ToString();
        output.WriteLine();
        output.WriteLine(text);
        if (Arg("--out") is { } path)
            File.WriteAllText(path, text);
        return failures == 0 ? 0 : 1;
    }
}
