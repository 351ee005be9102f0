using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LstmNative.Gpu.Inference;
using LstmNative.Model;

namespace LstmNative.Gpu.Benchmarks.Inference;

/// <summary>In-process (no SDK on the GPU machine), short: BenchmarkDotNet's wall-clock view of Run and Step.</summary>
public sealed class InProcessShortConfig : ManualConfig
{
    public InProcessShortConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
        WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
    }
}

/// <summary>Host wall clock of the session API (copies in and out, graph launch and wait): Step and a T=100 Run.</summary>
[Config(typeof(InProcessShortConfig))]
public class GpuSessionBenchmarks
{
    private GpuRnnEngine _engine = null!;
    private GpuRnnModel _model = null!;
    private GpuRnnSession _session = null!;
    private float[] _x = null!;
    private float[] _xs = null!;
    private float[] _y = null!;
    private float[] _ys = null!;

    [Params(256, 512)]
    public int Hidden { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = GpuRnnEngine.Create();
        var rng = new Random(1);
        var layer = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, Hidden, Hidden)).Randomize(rng, 1 / Math.Sqrt(Hidden));
        _model = _engine.LoadModel([layer]);
        _session = _model.CreateSession(1, 100);
        _x = new float[100 * Hidden];
        _xs = new float[Hidden];
        _y = new float[100 * Hidden];
        _ys = new float[Hidden];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _model.Dispose();
        _engine.Dispose();
    }

    [Benchmark]
    public void GpuStep() => _session.Step(_xs, 1, _ys);

    [Benchmark]
    public void GpuRunT100() => _session.Run(_x, 100, 1, _y);
}
