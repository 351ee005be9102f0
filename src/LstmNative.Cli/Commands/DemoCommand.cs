using System.CommandLine;
using System.Diagnostics;
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
        var command = new Command("demo", "run a random 2-layer LSTM and GRU, check them against the reference and print timings")
        {
            hidden, steps, batch, seed,
        };
        command.SetAction(parse =>
        {
            int h = parse.GetValue(hidden), t = parse.GetValue(steps), b = parse.GetValue(batch), s = parse.GetValue(seed);
            if (h < 1 || t < 1 || b < 1)
                throw new CliException($"--hidden, --steps and --batch must be positive, got {h}, {t}, {b}");
            stdout.WriteLine($"LstmNative demo: 2 layers, input = hidden = {h}, T = {t}, B = {b}, seed {s}");
            bool ok = true;
            foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
                ok &= RunOne(stdout, cell, h, t, b, s);
            stdout.WriteLine(ok ? "all outputs match the float64 reference" : "MISMATCH against the float64 reference");
            return ok ? CliApp.Ok : CliApp.Failed;
        });
        return command;
    }

    private static bool RunOne(TextWriter stdout, RnnCellType cell, int h, int t, int b, int seed)
    {
        var options = new RnnOptions(cell, h, h, NumLayers: 2, BatchFirst: true);
        var model64 = new RnnModel<double>(options).InitializeUniform(seed);
        var model32 = new RnnModel<float>(options);
        for (int l = 0; l < options.NumLayers; l++)
            for (int d = 0; d < options.DirectionCount; d++)
            {
                var src = model64.Layers[l].Directions[d].Parameters().ToArray();
                var dst = model32.Layers[l].Directions[d].Parameters().ToArray();
                for (int p = 0; p < src.Length; p++)
                    for (int i = 0; i < src[p].Length; i++)
                        dst[p][i] = (float)src[p][i];
            }
        var rng = new Random(seed + 1);
        var x64 = new double[b * t * h];
        for (int i = 0; i < x64.Length; i++)
            x64[i] = rng.NextDouble() * 2 - 1;
        var x32 = Array.ConvertAll(x64, v => (float)v);

        var reference = ReferenceStack.Forward<double>(model64, x64, t, b, [], []);
        ReferenceStack.Forward<float>(model32, x32, t, b, [], []); // warm-up
        const int runs = 5;
        var watch = Stopwatch.StartNew();
        StackTrace<float> fast = null!;
        for (int i = 0; i < runs; i++)
            fast = ReferenceStack.Forward<float>(model32, x32, t, b, [], []);
        watch.Stop();

        double maxErr = 0;
        for (int i = 0; i < fast.Output.Length; i++)
            maxErr = Math.Max(maxErr, Math.Abs(fast.Output[i] - reference.Output[i]));
        bool ok = maxErr < 1e-4;
        stdout.WriteLine($"  {cell,-4} float32 reference path: {watch.Elapsed.TotalMilliseconds / runs,8:F2} ms per forward, max |error| vs float64 = {maxErr:E2} {(ok ? "ok" : "FAIL")}");
        return ok;
    }
}
