using System.Globalization;
using LstmNative.Cpu;
using LstmNative.Model;
using LstmNative.PerfGate.Measurement;

namespace LstmNative.PerfGate.Suite;

/// <summary>How a case drives the engine.</summary>
internal enum EngineMode
{
    /// <summary>Whole sequences through <see cref="CpuRnnSession.Run"/>.</summary>
    Run,

    /// <summary>Streaming: <see cref="CpuRnnSession.Step"/> once per time step.</summary>
    Step,
}

/// <summary>
/// A case that times the CPU engine on a <see cref="CpuRnnModel"/>: built from layers (the built-in suite, random
/// weights) or from a model file (user suites, through <see cref="Models.GateModelLoaders"/>).
/// </summary>
internal sealed class EngineCase : GateCase
{
    private readonly Func<IReadOnlyList<LayerWeights<float>>> _layers;

    /// <param name="name">The case's name.</param>
    /// <param name="layers">Builds the layers (called by <see cref="Prepare"/>, so loading errors surface there).</param>
    /// <param name="batch">Batch size.</param>
    /// <param name="steps">Sequence length (Run), or Step calls per repetition (Step).</param>
    /// <param name="threads">Engine threads; 1 runs on the measuring thread only.</param>
    /// <param name="mode">Run or Step.</param>
    /// <param name="clock">The clock to judge on; null for the natural one (thread CPU for one thread, wall otherwise).</param>
    public EngineCase(string name, Func<IReadOnlyList<LayerWeights<float>>> layers, int batch, int steps, int threads, EngineMode mode, ClockKind? clock = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (batch < 1 || batch > 1_000_000)
            throw new GateException($"case '{name}': batch must be between 1 and 1000000, got {batch}");
        if (steps < 1 || steps > 1_000_000)
            throw new GateException($"case '{name}': steps must be between 1 and 1000000, got {steps}");
        if (threads < 1 || threads > 1024)
            throw new GateException($"case '{name}': threads must be between 1 and 1024, got {threads}");
        if (mode == EngineMode.Step && threads != 1)
            throw new GateException($"case '{name}': streaming (step) cases run on one thread");
        // The thread CPU clock sees the measuring thread only: the work of other workers would be missed.
        if (threads > 1 && clock == ClockKind.ThreadCpu)
            throw new GateException($"case '{name}': the thread-cpu clock cannot time {threads} threads (it sees the measuring thread only); use wall");
        _layers = layers;
        Batch = batch;
        Steps = steps;
        Threads = threads;
        Mode = mode;
        Clock = clock ?? (threads == 1 && ThreadCpuClock.IsAvailable ? ClockKind.ThreadCpu : ClockKind.Wall);
        if (Clock == ClockKind.ThreadCpu && !ThreadCpuClock.IsAvailable)
            throw new GateException($"case '{name}': the thread-cpu clock is not available on this system; use wall");
    }

    public int Batch { get; }

    public int Steps { get; }

    public int Threads { get; }

    public EngineMode Mode { get; }

    public ClockKind Clock { get; }

    public override PreparedCase Prepare()
    {
        var layers = _layers();
        CpuRnnModel model;
        try
        {
            model = new CpuRnnModel(layers);
        }
        catch (ArgumentException e)
        {
            throw new GateException($"case '{Name}': {e.Message}", e);
        }
        if (Mode == EngineMode.Step && !model.IsStreamable)
            throw new GateException($"case '{Name}': streaming (step) needs a forward-only model");
        // A fixed seed per case keeps the input identical across runs and machines.
        int seed = Deterministic(Name);
        IGateWorkload workload = Mode == EngineMode.Run
            ? new SessionWorkload(model, Batch, Steps, Threads, seed)
            : new StepWorkload(model, Batch, Steps, seed);
        return new PreparedCase(Name, Describe(layers), Clock, workload);
    }

    private string Describe(IReadOnlyList<LayerWeights<float>> layers)
    {
        string shape = string.Join(" + ", layers.Select(l => l.Options).Select(o =>
            $"{o.Cell.ToString().ToUpperInvariant()} {o.Direction.ToString().ToLowerInvariant()} I={o.InputSize} H={o.HiddenSize}"
            + (o.LinearBeforeReset ? " lbr" : "") + (o.HasPeepholes ? " peepholes" : "") + (o.Clip is { } c ? $" clip={c.ToString(CultureInfo.InvariantCulture)}" : "")));
        return $"{shape}; {(Mode == EngineMode.Run ? "run" : "step")} B={Batch} T={Steps} threads={Threads} cpu";
    }

    /// <summary>A string hash that is stable across processes (string.GetHashCode is randomised per process).</summary>
    private static int Deterministic(string text)
    {
        unchecked
        {
            int hash = (int)2166136261;
            foreach (char c in text)
                hash = (hash ^ c) * 16777619;
            return hash & 0x7fffffff;
        }
    }
}
