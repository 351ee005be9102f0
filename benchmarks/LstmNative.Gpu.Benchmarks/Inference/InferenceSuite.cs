using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Model;

namespace LstmNative.Gpu.Benchmarks.Inference;

/// <summary>How the suite runs.</summary>
public sealed record SuiteOptions(bool Short, string ArtifactsDirectory, TimeSpan Budget);

/// <summary>One timed variant of one case: ours (auto/standard/persistent) or cuDNN (standard/persist-static).</summary>
public sealed record VariantResult(string Name, string Detail, Sample? Time, string? Refused);

/// <summary>One case's results.</summary>
public sealed record CaseResult(BenchCase Case, string AutoAlgorithm, double? PlanEstimateUs, double MaxDifferenceVsCudnn, IReadOnlyList<VariantResult> Variants)
{
    public Sample? Time(string name) => Variants.FirstOrDefault(v => v.Name == name)?.Time;
}

/// <summary>
/// The GPU inference benchmark: for each configuration, our engine (the heuristic's choice, and each algorithm forced)
/// and cuDNN's cudnnRNNForward (STANDARD, and PERSIST_STATIC where cuDNN accepts it) on the same weights in the same
/// process. Before timing, cuDNN's output is checked against ours. Device time of one forward (input already on the
/// device, as cuDNN is timed) from CUDA events, median of many, warm-up excluded, four input sets rotated. Also the
/// streaming Step latency (host wall clock, copies in and out included). Results: gpu-inference.md / .json.
/// </summary>
public sealed class InferenceSuite
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private const int InputSets = 4;
    private const double AgreementTolerance = 5e-3; // cuDNN may use TF32 for FP32 GEMMs on Ampere and newer
    private readonly SuiteOptions _options;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<CaseResult> _results = [];
    private readonly List<string> _notes = [];
    private (Sample Wall, Sample Device, string Algorithm)? _step;

    public InferenceSuite(SuiteOptions options) => _options = options;

    private bool OutOfTime => _clock.Elapsed > _options.Budget;

    /// <summary>Runs everything; returns false when cuDNN and we disagreed somewhere.</summary>
    public bool Run()
    {
        using var engine = GpuRnnEngine.Create();
        var probe = GpuRuntime.Current;
        Header = $"{engine.Device.Name} (sm_{engine.Limits.ComputeCapability}, {engine.Limits.MultiprocessorCount} SMs, {engine.Limits.ClockKhz / 1000} MHz), " +
                 $"driver {probe.DriverVersion}, cuBLAS {probe.CublasVersion}, cuDNN {probe.CudnnVersion?.ToString(CultureInfo.InvariantCulture) ?? "absent"}";
        Console.WriteLine($"GPU inference benchmark on {Header}");
        Directory.CreateDirectory(_options.ArtifactsDirectory);
        bool agreed = true;
        try
        {
            StepLatency(engine);
        }
        catch (Exception e) when (e is CudaException or CublasException or NotSupportedException)
        {
            _notes.Add($"Step latency failed: {e.Message}");
        }
        Write();
        foreach (var c in _options.Short ? BenchCase.Short() : BenchCase.Full())
        {
            if (OutOfTime)
            {
                _notes.Add($"{c}: not run (budget of {_options.Budget.TotalSeconds:F0} s spent)");
                continue;
            }
            try
            {
                var result = RunCase(engine, c);
                agreed &= result.MaxDifferenceVsCudnn <= AgreementTolerance || double.IsNaN(result.MaxDifferenceVsCudnn);
                _results.Add(result);
                Console.WriteLine(Line(result));
            }
            catch (Exception e) when (e is CudaException or CublasException or CudnnException or NotSupportedException or InvalidOperationException)
            {
                _notes.Add($"{c}: failed: {e.GetType().Name}: {e.Message}");
                Console.WriteLine($"{c}: failed: {e.Message}");
            }
            Write();
        }
        return agreed;
    }

    public string Header { get; private set; } = "";

    private CaseResult RunCase(GpuRnnEngine engine, BenchCase c)
    {
        var layers = RandomStack(c);
        int input = c.Hidden;
        var inputs = Enumerable.Range(0, InputSets).Select(k => Random(c.Steps * c.Batch * input, 1000 + k)).ToArray();
        var variants = new List<VariantResult>();
        var context = engine.Context;
        using var timer = new EventTimer(context);
        (int warmup, int min, int max, TimeSpan time) = _options.Short ? (3, 5, 40, TimeSpan.FromMilliseconds(400)) : (5, 20, 200, TimeSpan.FromSeconds(2));

        // Ours: the heuristic's choice first (its output is the one checked against cuDNN), then each algorithm forced.
        float[] ours = [];
        string auto = "";
        double? estimate = null;
        foreach (var (algorithm, barrier) in new[]
                 {
                     (GpuAlgorithm.Auto, PersistentBarrier.Flag), (GpuAlgorithm.Standard, PersistentBarrier.Flag),
                     (GpuAlgorithm.Persistent, PersistentBarrier.Flag), (GpuAlgorithm.Persistent, PersistentBarrier.Cooperative),
                 })
        {
            string name = (algorithm, barrier) switch
            {
                (GpuAlgorithm.Auto, _) => "ours",
                (GpuAlgorithm.Standard, _) => "ours-standard",
                (_, PersistentBarrier.Flag) => "ours-persistent",
                _ => "ours-persistent-coop",
            };
            try
            {
                using var model = engine.LoadModel(layers, new GpuInferenceOptions { Algorithm = algorithm, Barrier = barrier });
                using var session = model.CreateSession(c.Batch, c.Steps);
                var choice = session.AlgorithmFor(0, c.Batch);
                if (algorithm == GpuAlgorithm.Auto)
                {
                    auto = choice.Algorithm.ToString();
                    estimate = choice.Plan?.EstimatedStepMicroseconds;
                    ours = new float[c.Steps * c.Batch * c.Hidden];
                    session.Run(inputs[0], c.Steps, c.Batch, ours);
                }
                else if (choice.Algorithm.ToString() == auto && barrier == PersistentBarrier.Flag)
                {
                    variants.Add(new VariantResult(name, "same as ours", variants[0].Time, null));
                    continue;
                }
                var stream = session.Stream!;
                var sample = timer.Measure(stream, i => session.UploadInput(inputs[i % InputSets]), () => session.EnqueueResident(c.Steps, c.Batch), warmup, min, max, time);
                variants.Add(new VariantResult(name, choice.Reason, sample, session.GraphFailure));
            }
            catch (NotSupportedException e)
            {
                variants.Add(new VariantResult(name, "", null, e.Message));
            }
        }

        // cuDNN on the same weights: STANDARD (checked against ours), then PERSIST_STATIC where it is accepted.
        double difference = double.NaN;
        foreach (var algorithm in new[] { CudnnRnnAlgorithm.Standard, CudnnRnnAlgorithm.PersistStatic })
        {
            string name = algorithm == CudnnRnnAlgorithm.Standard ? "cudnn-standard" : "cudnn-persist-static";
            if (GpuRuntime.Current.CudnnVersion is null)
            {
                variants.Add(new VariantResult(name, "", null, $"cuDNN not available: {GpuRuntime.Current.CudnnProblem}"));
                continue;
            }
            try
            {
                context.MakeCurrent();
                using var cudnn = new CudnnRnnBaseline(context, layers, c.Batch, c.Steps, algorithm);
                using var stream = context.CreateStream();
                cudnn.X.CopyFromHost(inputs[0], 0, stream); // on cuDNN's stream: a legacy-stream copy is not ordered before a non-blocking stream
                cudnn.Forward(stream, c.Steps, c.Batch);
                var y = new float[ours.Length];
                cudnn.Y.CopyToHost(y, 0, stream);
                double diff = MaxDifference(y, ours);
                if (algorithm == CudnnRnnAlgorithm.Standard)
                    difference = diff;
                else if (diff > AgreementTolerance)
                    _notes.Add($"{c}: cuDNN PERSIST_STATIC differs from ours by {diff:E2}");
                var sample = timer.Measure(stream, i => cudnn.X.CopyFromHost(inputs[i % InputSets], 0, stream), () => cudnn.Forward(stream, c.Steps, c.Batch), warmup, min, max, time);
                variants.Add(new VariantResult(name, $"max |cuDNN - ours| = {diff:E2}", sample, null));
            }
            catch (CudnnException e)
            {
                variants.Add(new VariantResult(name, "", null, $"cuDNN refused: {e.Message}"));
            }
        }
        return new CaseResult(c, auto, estimate, difference, variants);
    }

    /// <summary>Streaming Step, batch 1, H = 512: host wall clock per call (copies in and out and the wait included) and device time.</summary>
    private void StepLatency(GpuRnnEngine engine)
    {
        var c = new BenchCase("step", RnnCellType.Lstm, 512, 1, 1, 1);
        var layers = RandomStack(c);
        using var model = engine.LoadModel(layers);
        using var session = model.CreateSession(1, 1);
        var xs = Enumerable.Range(0, InputSets).Select(k => Random(512, 2000 + k)).ToArray();
        var y = new float[512];
        for (int i = 0; i < 50; i++)
            session.Step(xs[i % InputSets], 1, y);
        int n = _options.Short ? 2000 : 20000;
        var wall = new List<double>(n);
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            session.Step(xs[i % InputSets], 1, y);
            wall.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        }
        using var timer = new EventTimer(engine.Context);
        var device = timer.Measure(session.Stream!, i => xs[i % InputSets].CopyTo(session.StagedInput), () => session.EnqueueStep(1), 10, 100, n / 4, TimeSpan.FromSeconds(2));
        _step = (Sample.Of(wall), device, session.AlgorithmFor(0, 1).Reason);
        Console.WriteLine($"Step LSTM H=512 B=1: wall median {_step.Value.Wall.Median:F2} µs (p90 {_step.Value.Wall.P90:F2}), device {device.Median:F2} µs; {_step.Value.Algorithm}");
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static LayerWeights<float>[] RandomStack(BenchCase c)
    {
        var rng = new Random(c.Hidden * 31 + c.Batch);
        double scale = 1 / Math.Sqrt(c.Hidden); // PyTorch's default initialisation
        var layers = new LayerWeights<float>[c.Layers];
        for (int l = 0; l < c.Layers; l++)
            layers[l] = new LayerWeights<float>(new RnnLayerOptions(c.Cell, c.Hidden, c.Hidden) { LinearBeforeReset = c.Cell == RnnCellType.Gru }).Randomize(rng, scale);
        return layers;
    }

    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    private static double MaxDifference(float[] a, float[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (!(d <= worst))
                worst = double.IsNaN(d) ? double.PositiveInfinity : d;
        }
        return worst;
    }

    private static string Us(Sample? s) => s is { } v && !double.IsNaN(v.Median) ? v.Median.ToString("F1", CultureInfo.InvariantCulture) : "—";

    private static string Line(CaseResult r)
    {
        var ours = r.Time("ours");
        var cudnn = r.Time("cudnn-standard");
        string speedup = ours is { } o && cudnn is { } d ? $"{d.Median / o.Median:F2}x" : "—";
        return $"{r.Case}: ours ({r.AutoAlgorithm}) {Us(ours)} µs, cuDNN standard {Us(cudnn)} µs ({speedup}), persist-static {Us(r.Time("cudnn-persist-static"))} µs, |diff| {r.MaxDifferenceVsCudnn:E1}";
    }

    /// <summary>Writes gpu-inference.md and gpu-inference.json (after every case, so a cut-off run keeps what it has).</summary>
    private void Write()
    {
        var md = new StringBuilder();
        md.AppendLine("## GPU inference (event-timed, device time of one forward)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Device: {Header}. {(_options.Short ? "Short run" : "Full run")}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        md.AppendLine("Input size = hidden size, input GEMM included, FP32 (cuBLAS CUBLAS_COMPUTE_32F; cuDNN math type default). Median µs of one forward, input on the device.");
        md.AppendLine();
        if (_step is { } step)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"**Streaming Step, LSTM H=512, B=1, copies in and out included**: wall-clock median {step.Wall.Median:F2} µs (p10 {step.Wall.P10:F2}, p90 {step.Wall.P90:F2}, n={step.Wall.Count}); device time {step.Device.Median:F2} µs. Target < 15 µs: **{(step.Wall.Median < 15 ? "met" : "missed")}**. ({step.Algorithm})");
            md.AppendLine();
        }
        md.AppendLine("| case | suite | ours (algorithm) µs | µs/layer-step | ours standard µs | ours persistent µs (flag / cooperative barrier) | cuDNN standard µs | cuDNN persist-static µs | speedup vs cuDNN std | max diff vs cuDNN | plan estimate µs/step |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in _results)
        {
            var ours = r.Time("ours");
            var cudnn = r.Time("cudnn-standard");
            string perStep = ours is { } o ? (o.Median / (r.Case.Steps * r.Case.Layers)).ToString("F2", CultureInfo.InvariantCulture) : "—";
            string speedup = ours is { } a && cudnn is { } b ? (b.Median / a.Median).ToString("F2", CultureInfo.InvariantCulture) + "x" : "—";
            string persist = r.Variants.FirstOrDefault(v => v.Name == "cudnn-persist-static") is { Refused: { } why } ? "refused" : Us(r.Time("cudnn-persist-static"));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Case} | {r.Case.Suite} | {Us(ours)} ({r.AutoAlgorithm}) | {perStep} | {Us(r.Time("ours-standard"))} | {Us(r.Time("ours-persistent"))} / {Us(r.Time("ours-persistent-coop"))} | {Us(cudnn)} | {persist} | {speedup} | {r.MaxDifferenceVsCudnn:E1} | {r.PlanEstimateUs?.ToString("F2", CultureInfo.InvariantCulture) ?? "—"} |");
        }
        md.AppendLine();
        md.AppendLine("Targets (H100, FP32, T = 100):");
        foreach (int h in new[] { 256, 512, 1024 })
            md.AppendLine(Target(r => r.Case is { Suite: "target", Batch: 1, Steps: 100, Layers: 1 } && r.Case.Hidden == h, $"B=1 H={h}: ≥ 3× cuDNN standard", 3.0, h <= 512 ? 2.0 : null));
        md.AppendLine(Target(r => r.Case is { Suite: "target", Batch: 64, Hidden: 512 }, "B=64 H=512: ≥ 1.0× cuDNN standard", 1.0, null));
        var refusals = _results.SelectMany(r => r.Variants.Where(v => v.Refused is not null).Select(v => $"{r.Case} {v.Name}: {v.Refused}")).Distinct().ToList();
        if (refusals.Count > 0 || _notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Notes:");
            foreach (var n in refusals.Concat(_notes))
                md.AppendLine(CultureInfo.InvariantCulture, $"- {n.ReplaceLineEndings(" ")}");
        }
        File.WriteAllText(Path.Combine(_options.ArtifactsDirectory, "gpu-inference.md"), md.ToString());
        var json = JsonSerializer.Serialize(new
        {
            device = Header,
            @short = _options.Short,
            step = _step is { } s ? new { wallMedianUs = s.Wall.Median, wallP90Us = s.Wall.P90, deviceMedianUs = s.Device.Median, s.Algorithm } : null,
            cases = _results.Select(r => new
            {
                name = r.Case.ToString(),
                suite = r.Case.Suite,
                cell = r.Case.Cell.ToString(),
                hidden = r.Case.Hidden,
                batch = r.Case.Batch,
                steps = r.Case.Steps,
                layers = r.Case.Layers,
                algorithm = r.AutoAlgorithm,
                planEstimateUsPerStep = r.PlanEstimateUs,
                maxDifferenceVsCudnn = double.IsFinite(r.MaxDifferenceVsCudnn) ? r.MaxDifferenceVsCudnn : (double?)null,
                variants = r.Variants.Select(v => new { v.Name, v.Detail, medianUs = v.Time?.Median, p10Us = v.Time?.P10, p90Us = v.Time?.P90, samples = v.Time?.Count, v.Refused }),
            }),
            notes = _notes,
        }, Indented);
        File.WriteAllText(Path.Combine(_options.ArtifactsDirectory, "gpu-inference.json"), json);
    }

    private string Target(Func<CaseResult, bool> which, string label, double speedup, double? perStepUs)
    {
        var r = _results.FirstOrDefault(which);
        if (r?.Time("ours") is not { } ours || r.Time("cudnn-standard") is not { } cudnn)
            return $"- {label}: not measured";
        double x = cudnn.Median / ours.Median, per = ours.Median / (r.Case.Steps * r.Case.Layers);
        string verdict = x >= speedup ? "met" : "missed";
        string stepPart = perStepUs is { } limit ? $"; {per:F2} µs/layer-step vs ≤ {limit} µs: {(per <= limit ? "met" : "missed")}" : "";
        return $"- {label}: {x:F2}× → {verdict}{stepPart}";
    }
}
