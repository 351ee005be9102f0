using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// The outputs of one CPU layer forward pass plus what <see cref="CpuRnn.Backward"/> needs (activations, states,
/// packed weights), the CPU counterpart of <see cref="Reference.LayerTrace{T}"/>. Time-major:
/// <c>Y[T, D, B, H]</c>, <c>Yh</c>/<c>Yc[D, B, H]</c>.
/// </summary>
/// <remarks>
/// Threads: a trace owns the buffers its backward pass runs in, so it serves one <see cref="CpuRnn.Backward"/> at a
/// time; a Backward that starts while another on the same trace is in progress throws
/// <see cref="InvalidOperationException"/>. Backward passes on different traces may run concurrently.
/// </remarks>
public sealed class CpuLayerTrace
{
    private int _busy; // 1 while a Backward runs on this trace: a concurrent one is refused, not raced

    internal CpuLayerTrace(LayerWeights<float> weights, LayerExecutor executor, AlignedBuffer x, int steps, int batch, int[] lengths,
        CpuRnnOptions options)
    {
        Weights = weights;
        Executor = executor;
        XBuffer = x;
        Steps = steps;
        Batch = batch;
        // A read-only view of a copy: Backward walks the rows with the executor's own lengths (what the forward pass
        // ran with) through raw pointers, and a caller must not be able to change what it reads.
        Lengths = Array.AsReadOnly((int[])lengths.Clone());
        RunOptions = options;
        var o = weights.Options;
        int d = o.DirectionCount, h = o.HiddenSize;
        Y = new float[steps * d * batch * h];
        Yh = new float[d * batch * h];
        Yc = new float[o.Cell == RnnCellType.Lstm ? d * batch * h : 0];
    }

    /// <summary>The weights the pass ran with.</summary>
    public LayerWeights<float> Weights { get; }

    /// <summary>Layer options.</summary>
    public RnnLayerOptions Options => Weights.Options;

    /// <summary>Sequence length <c>T</c>.</summary>
    public int Steps { get; }

    /// <summary>Batch size <c>B</c>.</summary>
    public int Batch { get; }

    /// <summary>Per-row valid lengths the forward pass ran with (all <c>T</c> when none were given); read-only.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>Output sequence <c>Y[T, D, B, H]</c>; zero past each row's end.</summary>
    public float[] Y { get; }

    /// <summary>Final hidden state <c>[D, B, H]</c>: the last valid one of each row.</summary>
    public float[] Yh { get; }

    /// <summary>Final cell state <c>[D, B, H]</c> (LSTM; empty for GRU).</summary>
    public float[] Yc { get; }

    internal LayerExecutor Executor { get; }

    internal AlignedBuffer XBuffer { get; }

    internal CpuRnnOptions RunOptions { get; }

    /// <summary>Marks the start of a backward pass; throws when another one on this trace is in progress.</summary>
    internal void Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new InvalidOperationException(
                "CpuRnn.Backward was called on a trace while another Backward on the same trace is in progress: the trace's " +
                "buffers serve one backward pass at a time; run them one after the other, or trace each thread's own forward pass");
    }

    /// <summary>Marks the end of the backward pass <see cref="Enter"/> began.</summary>
    internal void Exit() => Volatile.Write(ref _busy, 0);
}
