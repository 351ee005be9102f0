using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LstmNative.Cpu;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Benchmarks;

/// <summary>
/// A short in-process job (the machine is small and shared; see docs/benchmarks.md), memory diagnoser on, ratios
/// against the ONNX Runtime baseline.
/// </summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(Environment.GetEnvironmentVariable("LSTMNATIVE_BENCH_ITERATIONS") is { } n ? int.Parse(n) : 7)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)));
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
        WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
        SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(BenchmarkDotNet.Columns.RatioStyle.Value).WithMaxParameterColumnWidth(40);
    }
}

/// <summary>One configuration of <see cref="InferenceBenchmarks"/>.</summary>
public sealed record InferenceCase(RnnCellType Cell, int Hidden, int Batch, int Layers, int Threads)
{
    /// <summary>
    /// The full grid (LSTM and GRU, I = H ∈ {64, 256, 512, 1024}, B ∈ {1, 4, 64}, 1 and 2 layers, 1 and 2 threads), or
    /// with LSTMNATIVE_BENCH_SHORT=1 the rows behind the targets in docs/benchmarks.md, with LSTMNATIVE_BENCH_BATCH=1 the
    /// batched rows (LSTM, H ∈ {256, 512}, B ∈ {4, 16, 64}, 1 and 2 threads).
    /// </summary>
    public static IEnumerable<InferenceCase> All()
    {
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_BENCH_BATCH") == "1")
        {
            foreach (int h in new[] { 256, 512 })
                foreach (int b in new[] { 4, 16, 64 })
                    foreach (int t in new[] { 1, 2 })
                        yield return new(RnnCellType.Lstm, h, b, 1, t);
            yield break;
        }
        if (Environment.GetEnvironmentVariable("LSTMNATIVE_BENCH_SHORT") == "1")
        {
            foreach (int h in new[] { 64, 256, 512 })
                foreach (int t in new[] { 1, 2 })
                    yield return new(RnnCellType.Lstm, h, 1, 1, t);
            yield return new(RnnCellType.Gru, 256, 1, 1, 1);
            yield return new(RnnCellType.Gru, 256, 1, 1, 2);
            yield return new(RnnCellType.Lstm, 256, 4, 2, 2);
            yield return new(RnnCellType.Lstm, 256, 64, 1, 2);
            yield return new(RnnCellType.Lstm, 512, 64, 1, 2);
            yield break;
        }
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (int h in new[] { 64, 256, 512, 1024 })
                foreach (int b in new[] { 1, 4, 64 })
                    foreach (int l in new[] { 1, 2 })
                        foreach (int t in new[] { 1, 2 })
                            yield return new(cell, h, b, l, t);
    }

    public override string ToString() => $"{Cell} H={Hidden} B={Batch} L={Layers} thr={Threads}";
}

/// <summary>One forward pass over T = 100 steps (I = H), LstmNative vs ONNX Runtime on the same ONNX model.</summary>
[Config(typeof(ShortConfig))]
public class InferenceBenchmarks
{
    private RnnPair _pair = null!;

    public static IEnumerable<InferenceCase> Cases() => InferenceCase.All();

    [ParamsSource(nameof(Cases))]
    public InferenceCase Case { get; set; } = null!;

    [GlobalSetup]
    public void Setup() => _pair = new RnnPair(Case.Cell, Case.Hidden, Case.Batch, 100, Case.Layers, Case.Threads);

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _pair.RunOnnxRuntime();

    [Benchmark]
    public void LstmNative() => _pair.RunLstmNative();
}

/// <summary>DeepBench's inference problem sizes (shared/reference/deepbench_rnn_configs.csv), input size = hidden, input GEMM included.</summary>
[Config(typeof(ShortConfig))]
public class DeepBenchBenchmarks
{
    private RnnPair _pair = null!;

    public static IEnumerable<DeepBenchRow> Rows() => DeepBenchRow.Load();

    [ParamsSource(nameof(Rows))]
    public DeepBenchRow Row { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _pair = new RnnPair(Row.Cell, Row.Hidden, Row.Batch, Row.Steps, 1, Threads);

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _pair.RunOnnxRuntime();

    [Benchmark]
    public void LstmNative() => _pair.RunLstmNative();
}

/// <summary>One DeepBench configuration.</summary>
public sealed record DeepBenchRow(string Set, int Hidden, int Batch, int Steps, RnnCellType Cell)
{
    public static IEnumerable<DeepBenchRow> Load()
    {
        string? dir = AppContext.BaseDirectory;
        string? file = Environment.GetEnvironmentVariable("LSTMNATIVE_DEEPBENCH_CSV");
        while (file is null && dir is not null)
        {
            foreach (var candidate in new[] { Path.Combine(dir, "shared", "reference", "deepbench_rnn_configs.csv"), Path.Combine(dir, "..", "shared", "reference", "deepbench_rnn_configs.csv") })
                if (File.Exists(candidate))
                    file = candidate;
            dir = Path.GetDirectoryName(dir);
        }
        if (file is null)
            yield break;
        foreach (var line in File.ReadLines(file).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length < 5 || f[0] == "training_set" || f[4] is not ("lstm" or "gru"))
                continue;
            yield return new DeepBenchRow(f[0], int.Parse(f[1]), int.Parse(f[2]), int.Parse(f[3]), f[4] == "lstm" ? RnnCellType.Lstm : RnnCellType.Gru);
        }
    }

    public override string ToString() => $"{Cell} H={Hidden} B={Batch} T={Steps}";
}

/// <summary>
/// Reduced-precision weights side by side: one forward pass (T = 100, B = 1, I = H, 1 thread) of the same layer at
/// fp32 (the baseline), bf16 and int8 (<see cref="CpuPrecision"/>).
/// </summary>
[Config(typeof(ShortConfig))]
public class PrecisionBenchmarks
{
    private PrecisionSet _set = null!;

    [Params(RnnCellType.Lstm, RnnCellType.Gru)]
    public RnnCellType Cell { get; set; }

    [Params(64, 256, 512, 1024)]
    public int Hidden { get; set; }

    [GlobalSetup]
    public void Setup() => _set = new PrecisionSet(Cell, Hidden, 100);

    [GlobalCleanup]
    public void Cleanup() => _set.Dispose();

    [Benchmark(Baseline = true)]
    public void Fp32() => _set.Run(0);

    [Benchmark]
    public void Bf16() => _set.Run(1);

    [Benchmark]
    public void Int8() => _set.Run(2);
}

/// <summary>Streaming: one Step of a 1-layer LSTM (state kept in the session).</summary>
[Config(typeof(ShortConfig))]
public class StepBenchmarks
{
    private CpuRnnSession _session = null!;
    private float[] _x = null!;
    private float[] _y = null!;

    [Params(64, 256, 512)]
    public int Hidden { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var w = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, Hidden, Hidden)).Randomize(new Random(1), 1.0 / Math.Sqrt(Hidden));
        _session = new CpuRnnModel([w]).CreateSession(1, 1, Threads);
        _x = new float[Hidden];
        _y = new float[Hidden];
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    [Benchmark]
    public void Step() => _session.Step(_x, 1, _y);
}

/// <summary>A training step (forward + backward through time) of one LSTM layer, B = 64, I = H = 512, T = 100.</summary>
[Config(typeof(ShortConfig))]
public class TrainingBenchmarks
{
    /// <summary>GEMM flops of forward + backward: 3 × 2·T·B·4H·(I + H) (dX, dh, dW, dR each equal a forward product).</summary>
    public const double Flops = 3.0 * 2 * 100 * 64 * 4 * 512 * (512 + 512);

    private LayerWeights<float> _weights = null!;
    private float[] _x = null!;
    private float[] _dy = null!;
    private CpuRnnOptions _options = null!;
    private WorkerPool _pool = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        _weights = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 512, 512)).Randomize(rng, 1.0 / Math.Sqrt(512));
        _x = Enumerable.Range(0, 100 * 64 * 512).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _dy = Enumerable.Range(0, 100 * 64 * 512).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _pool = new WorkerPool(Threads);
        _options = new CpuRnnOptions { Pool = _pool, Threads = Threads };
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();

    [Benchmark]
    public LayerGradients<float> ForwardBackward()
    {
        var trace = CpuRnn.Forward(_weights, _x, 100, 64, [], [], [], _options);
        return CpuRnn.Backward(trace, _dy, [], []);
    }
}
