using System.CommandLine;
using System.Diagnostics;
using LstmNative.Cpu;
using LstmNative.Layers;
using LstmNative.Model;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative demo</c>: builds a random multi-layer LSTM and GRU, runs them in float32, checks every output
/// against the float64 reference and prints timings. Needs no files.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter stdout)
    {
        var hidden = new Option<int>("--hidden") { Description = "hidden size", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "sequence length", DefaultValueFactory = _ => 50 };
        var batch = new Option<int>("--batch") { Description = "batch size", DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 42 };
        var command = new Command("demo", "run a random 2-layer LSTM and GRU on the fast CPU engine, check them against the float64 reference and print timings")
        {
            hidden, steps, batch, seed,
        };
        command.SetAction(parse =>
        {
            int h = parse.GetValue(hidden), t = parse.GetValue(steps), b = parse.GetValue(batch), s = parse.GetValue(seed);
            if (h < 1 || t < 1 || b < 1)
                throw new CliException($"--hidden, --steps and --batch must be positive, got {h}, {t}, {b}");
            // The demo holds the sequence several times over (float64 reference, float32 copies) and runs the scalar
            // reference on it, so it is meant for sizes that finish in seconds; `run` takes real models of any size.
            if (h > MaxHidden)
                throw new CliException($"--hidden {h} is over the demo's limit of {MaxHidden}");
            if ((long)t * b * h > MaxElements)
                throw new CliException($"--steps × --batch × --hidden = {(long)t * b * h:N0} is over the demo's limit of {MaxElements:N0} values");
            stdout.WriteLine($"LstmNative demo: 2 layers, input = hidden = {h}, T = {t}, B = {b}, seed {s}");
            bool ok = true;
            foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
                ok &= RunOne(stdout, cell, h, t, b, s);
            stdout.WriteLine(ok ? "all outputs match the float64 reference" : "MISMATCH against the float64 reference");
            return ok ? CliApp.Ok : CliApp.Failed;
        });
        return command;
    }

    /// <summary>The demo's largest hidden size (the two layers' float64 weights alone are 512 MiB there).</summary>
    internal const int MaxHidden = 2048;

    /// <summary>The demo's largest sequence, in values (T × B × H; 128 MiB as float64).</summary>
    internal const long MaxElements = 1L << 24;

    private static bool RunOne(TextWriter stdout, RnnCellType cell, int h, int t, int b, int seed)
    {
        // Time-major and unidirectional, so the session's Y [T, D=1, B, H] and the stack's output [T, B, H] coincide.
        var options = new RnnOptions(cell, h, h, NumLayers: 2);
        var model64 = new RnnModel<double>(options).InitializeUniform(seed);
        var layers32 = model64.Layers.Select(l => l.Convert<float>()).ToArray();
        var rng = new Random(seed + 1);
        var x64 = new double[t * b * h];
        for (int i = 0; i < x64.Length; i++)
            x64[i] = rng.NextDouble() * 2 - 1;
        var x32 = Array.ConvertAll(x64, v => (float)v);

        var watch = Stopwatch.StartNew();
        var reference = ReferenceStack.Forward<double>(model64, x64, t, b, [], []);
        double referenceMs = watch.Elapsed.TotalMilliseconds;

        var model = new CpuRnnModel(layers32);
        var y = new float[t * b * h];
        bool ok = true;
        foreach (int threads in new[] { 1, 2 })
        {
            using var session = model.CreateSession(b, t, threads);
            session.Run(x32, t, b, y); // warm-up
            const int runs = 20;
            watch.Restart();
            for (int i = 0; i < runs; i++)
                session.Run(x32, t, b, y);
            double ms = watch.Elapsed.TotalMilliseconds / runs;
            double maxErr = 0;
            for (int i = 0; i < y.Length; i++)
                maxErr = Math.Max(maxErr, Math.Abs(y[i] - reference.Output[i]));
            bool good = maxErr < 1e-4;
            ok &= good;
            stdout.WriteLine($"  {cell,-4} CPU engine ({CpuRnn.ActiveWidth}, {threads} thread{(threads > 1 ? "s" : "")}): {ms,8:F3} ms per forward, max |error| vs float64 reference = {maxErr:E2} {(good ? "ok" : "FAIL")}");
        }
        stdout.WriteLine($"  {cell,-4} float64 reference:              {referenceMs,8:F3} ms per forward");
        return ok;
    }
}
