using BenchmarkDotNet.Running;
using LstmNative.Gpu.Benchmarks.Training;

// GPU benchmarks: `dotnet run -c Release --project benchmarks/LstmNative.Gpu.Benchmarks -- --filter '*'`.
// `... -- training [options]`: the GPU training harness (DeepBench rows, ours vs cuDNN; CUDA-event timed, no SDK needed).
if (args.Length > 0 && args[0] == "training")
    return TrainingBenchmark.Run(args[1..], Console.Out);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
