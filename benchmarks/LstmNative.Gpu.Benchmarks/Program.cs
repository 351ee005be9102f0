using System.Globalization;
using BenchmarkDotNet.Running;
using LstmNative.Gpu.Benchmarks.Training;
using LstmNative.Cuda;
using LstmNative.Gpu.Benchmarks.Inference;

// GPU benchmarks. Two front ends:
//   LstmNative.Gpu.Benchmarks [--job short|default] [--artifacts DIR] [--budget SECONDS] [--filter PATTERN]
//       the event-timed inference suite (ours vs cuDNN on the same weights, CUDA events, medians); what the GPU
//       bundle's run.sh runs (it passes --filter '*Gpu*' --job short). Results: DIR/gpu-inference.md and .json.
//   LstmNative.Gpu.Benchmarks bdn [BenchmarkDotNet arguments]
//       BenchmarkDotNet (in-process toolchain, no SDK needed): wall-clock Step latency.
// `... -- training [options]`: the GPU training harness (DeepBench rows, ours vs cuDNN; CUDA-event timed, no SDK needed).
// `... -- persistent-sweep [--out FILE]`: the persistent kernel's per-step cost for every block split and barrier.
if (args.Length > 0 && args[0] == "training")
    return TrainingBenchmark.Run(args[1..], Console.Out);
if (args.Length > 0 && args[0] == "persistent-sweep")
    return PersistentSweep.Run(args[1..], Console.Out);
if (args.Length > 0 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(InferenceSuite).Assembly).Run(args[1..]);
    return 0;
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
bool isShort = Arg("--job") is not ("default" or "long" or "medium");
string artifacts = Arg("--artifacts") ?? Path.Combine(Environment.CurrentDirectory, "BenchmarkDotNet.Artifacts");
var budget = TimeSpan.FromSeconds(double.Parse(Arg("--budget") ?? (isShort ? "150" : "7200"), CultureInfo.InvariantCulture));
string filter = Arg("--filter") ?? "*";
if (filter != "*" && !filter.Contains("Gpu", StringComparison.OrdinalIgnoreCase) && !filter.Contains("Inference", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine($"filter '{filter}' selects none of the GPU inference suite");
    return 0;
}
var probe = GpuRuntime.Current;
if (!probe.IsAvailable)
{
    Directory.CreateDirectory(artifacts);
    File.WriteAllText(Path.Combine(artifacts, "gpu-inference.md"), $"## GPU inference\n\nNot run: no usable GPU: {probe.Reason}\n");
    Console.WriteLine($"GPU inference benchmark skipped: {probe.Reason}");
    return 0;
}
bool agreed = new InferenceSuite(new SuiteOptions(isShort, artifacts, budget)).Run();
Console.WriteLine($"results: {Path.Combine(artifacts, "gpu-inference.md")}");
if (!agreed)
{
    Console.Error.WriteLine("cuDNN and LstmNative disagree on at least one configuration (see gpu-inference.md)");
    return 1;
}
return 0;
