using System.Diagnostics;
using LstmNative.Fuzz;
using SharpFuzz;

// lstmnative-fuzz: fuzz the NPY, safetensors and ONNX readers. See fuzz/README.md.
//   afl TARGET          run under afl-fuzz (SharpFuzz out-of-process mode; the Core assembly must be instrumented)
//   libfuzzer TARGET    run under libfuzzer-dotnet
//   seeds DIR           write the seed corpus (DIR/TARGET/seed-N)
//   smoke [--iterations N] [--seconds S] [--seed K] [--crashes DIR] [TARGET ...]
//                       the CI run: a fixed-seed mutation loop in process, with a fixed budget per target
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: lstmnative-fuzz afl|libfuzzer TARGET | seeds DIR | smoke [--iterations N] [--seconds S] [--seed K] [--crashes DIR] [TARGET ...]");
    return 2;
}
switch (args[0])
{
    case "afl":
        var aflTarget = Target(args[1]);
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            aflTarget(memory.ToArray());
        });
        return 0;
    case "libfuzzer":
        Fuzzer.LibFuzzer.Run(Target(args[1]));
        return 0;
    case "seeds":
        foreach (var name in FuzzTargets.All.Keys)
        {
            string dir = Path.Combine(args[1], name);
            Directory.CreateDirectory(dir);
            var seeds = Seeds.For(name);
            for (int i = 0; i < seeds.Count; i++)
                File.WriteAllBytes(Path.Combine(dir, $"seed-{i}"), seeds[i]);
        }
        return 0;
    case "smoke":
        return Smoke(args[1..]);
    default:
        Console.Error.WriteLine($"unknown mode '{args[0]}'");
        return 2;
}

static ReadOnlySpanAction Target(string name) =>
    FuzzTargets.All.TryGetValue(name, out var t) ? t : throw new ArgumentException($"unknown target '{name}' (targets: {string.Join(", ", FuzzTargets.All.Keys)})");

static int Smoke(string[] args)
{
    int iterations = 20_000, seed = 1;
    double seconds = 60;
    string crashes = Path.Combine("artifacts", "fuzz-crashes");
    var targets = new List<string>();
    for (int i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--iterations": iterations = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
            case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
            case "--seed": seed = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
            case "--crashes": crashes = args[++i]; break;
            default: targets.Add(args[i]); break;
        }
    }
    if (targets.Count == 0)
        targets.AddRange(FuzzTargets.All.Keys);
    int totalCrashes = 0;
    foreach (var name in targets)
    {
        var target = Target(name);
        var seeds = Seeds.For(name);
        var mutator = new Mutator(seed);
        var watch = Stopwatch.StartNew();
        int runs = 0, found = 0;
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        // Every seed must pass untouched first: a reader that refuses valid input is broken too.
        foreach (var s in seeds)
            target(s);
        // Fixed iteration count, with a wall-clock cap so a slow machine cannot stall CI.
        for (; runs < iterations && watch.Elapsed.TotalSeconds < seconds; runs++)
        {
            byte[] input = mutator.Mutate(seeds[runs % seeds.Count]);
            try
            {
                target(input);
            }
            catch (Exception e)
            {
                found++;
                string kind = $"{e.GetType().Name} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
                if (kinds.Add(kind))
                {
                    Directory.CreateDirectory(crashes);
                    string file = Path.Combine(crashes, $"{name}-{runs}.bin");
                    File.WriteAllBytes(file, input);
                    Console.WriteLine($"CRASH {name} #{runs}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")} ({kind}); input saved to {file}");
                }
            }
        }
        Console.WriteLine($"fuzz {name}: {runs} inputs in {watch.Elapsed.TotalSeconds:F1} s, {found} crash(es){(found > 0 ? $" of {kinds.Count} kind(s)" : "")}");
        totalCrashes += found;
    }
    return totalCrashes == 0 ? 0 : 1;
}
