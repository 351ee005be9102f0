using BenchmarkDotNet.Running;

// GPU benchmarks: `dotnet run -c Release --project benchmarks/LstmNative.Gpu.Benchmarks -- --filter '*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
