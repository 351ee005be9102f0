using LstmNative.Model;

namespace LstmNative.Gpu.Training;

/// <summary>
/// What one layer keeps from the forward pass for the backward pass, in floats, for the planned maximum steps and batch.
/// </summary>
/// <param name="Gates">Activated gates <c>[T, B, D, G*H]</c> (the input GEMM's result, overwritten in place).</param>
/// <param name="PreActivations">Unclipped pre-activations <c>[T, B, D, G*H]</c>: only for non-default activations or ONNX clip.</param>
/// <param name="Cells">LSTM cell states <c>[T, B, D, H]</c>.</param>
/// <param name="Extra">GRU: <c>q = Rn h + Rbn</c> (linear_before_reset = 1) or <c>r * h</c> (= 0), <c>[T, B, D, H]</c>.</param>
/// <param name="Output">The layer's output <c>[T, B, D*H]</c> when it is not the network's output (0 for the top layer).</param>
/// <param name="DroppedOutput">The output after dropout, the next layer's input (0 without dropout).</param>
public readonly record struct LayerReserve(long Gates, long PreActivations, long Cells, long Extra, long Output, long DroppedOutput)
{
    /// <summary>All of it.</summary>
    public long Total => Gates + PreActivations + Cells + Extra + Output + DroppedOutput;
}

/// <summary>
/// Sizes every device buffer of GPU training once, for a maximum sequence length and batch: the reserve space (what
/// the forward pass keeps for BPTT, per layer) and the workspace (backward temporaries shared by the layers). Pure
/// arithmetic, checked on the CPU; <see cref="GpuRnnStack"/> allocates exactly this.
/// </summary>
/// <remarks>
/// LSTM with the default activations keeps 5 floats per (t, b, direction, unit): four gates and the cell state; the
/// hidden states are the layer's output itself (y, zero past a row's end, and h0 for each row's first step).
/// GRU keeps 4: three gates and q (or r*h). The largest workspace item is the gate-gradient history da
/// <c>[T, B, D, 4H]</c>, which the weight-gradient GEMMs read after the recurrence.
/// </remarks>
public sealed class ReservePlan
{
    /// <summary>Plans for <paramref name="layers"/> (bottom first) with at most <paramref name="maxSteps"/> steps and <paramref name="maxBatch"/> rows.</summary>
    /// <param name="layers">The network.</param>
    /// <param name="maxSteps">Largest sequence length.</param>
    /// <param name="maxBatch">Largest batch.</param>
    /// <param name="dropout">Dropout probability between layers in training (0: none).</param>
    public ReservePlan(IReadOnlyList<RnnLayerOptions> layers, int maxSteps, int maxBatch, double dropout = 0)
    {
        ParameterLayout.ValidateStack(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (maxBatch > TrainingLaunch.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"a batch of {maxBatch} rows exceeds the step kernels' grid limit of {TrainingLaunch.MaxBatch}");
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), "dropout must be in [0, 1]");
        MaxSteps = maxSteps;
        MaxBatch = maxBatch;
        long tb = (long)maxSteps * maxBatch;
        var reserves = new LayerReserve[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            var o = layers[l];
            long perDir = tb * o.DirectionCount;
            long gates = perDir * o.GateCount * o.HiddenSize;
            long output = l < layers.Count - 1 ? perDir * o.HiddenSize : 0;
            reserves[l] = new LayerReserve(
                gates,
                NeedsGeneralKernels(o) ? gates : 0,
                o.Cell == RnnCellType.Lstm ? perDir * o.HiddenSize : 0,
                o.Cell == RnnCellType.Gru ? perDir * o.HiddenSize : 0,
                output,
                dropout > 0 ? output : 0);
            ScratchElements = Math.Max(ScratchElements, (long)o.DirectionCount * maxBatch * o.GateCount * o.HiddenSize);
            GateGradientElements = Math.Max(GateGradientElements, perDir * DaWidth(o));
            FirstStepRowsElements = Math.Max(FirstStepRowsElements, (long)maxBatch * DaWidth(o));
            if (o.HasPeepholes)
                PeepholeAccumulatorElements = Math.Max(PeepholeAccumulatorElements, (long)o.DirectionCount * maxBatch * 3 * o.HiddenSize);
            if (l < layers.Count - 1)
                InnerGradientElements = Math.Max(InnerGradientElements, perDir * o.HiddenSize);
        }
        Layers = reserves;
    }

    /// <summary>Largest sequence length planned for.</summary>
    public int MaxSteps { get; }

    /// <summary>Largest batch planned for.</summary>
    public int MaxBatch { get; }

    /// <summary>Per layer, bottom first.</summary>
    public IReadOnlyList<LayerReserve> Layers { get; }

    /// <summary>Floats of reserve space, all layers.</summary>
    public long ReserveElements => Layers.Sum(r => r.Total);

    /// <summary>Bytes of reserve space: what training keeps between forward and backward (the network's output and final states not included, as in cuDNN).</summary>
    public long ReserveBytes => ReserveElements * sizeof(float);

    /// <summary>Per-step recurrent GEMM result <c>[D, B, G*H]</c> (also the GRU backward's <c>dn Rn</c>).</summary>
    public long ScratchElements { get; }

    /// <summary>Gate-gradient history <c>[T, B, D, W]</c> (W from <see cref="DaWidth"/>), read by the weight-gradient GEMMs.</summary>
    public long GateGradientElements { get; }

    /// <summary>The first step's gate gradients of each row <c>[B, W]</c> (the h0 part of dR).</summary>
    public long FirstStepRowsElements { get; }

    /// <summary>Peephole gradient accumulators <c>[D, B, 3H]</c> (0 without peepholes).</summary>
    public long PeepholeAccumulatorElements { get; }

    /// <summary>The gradient flowing between layers <c>[T, B, D*H]</c> (0 for one layer).</summary>
    public long InnerGradientElements { get; }

    /// <summary>Bytes of workspace.</summary>
    public long WorkspaceBytes =>
        (ScratchElements + GateGradientElements + FirstStepRowsElements + PeepholeAccumulatorElements + InnerGradientElements) * sizeof(float);

    /// <summary>Whether the layer needs the general kernels (non-default activations or ONNX clip) and their pre-activation reserve.</summary>
    public static bool NeedsGeneralKernels(RnnLayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return !options.HasDefaultActivations || options.Clip is not null;
    }

    /// <summary>
    /// Floats per (t, b, direction) of the gate-gradient history: LSTM (di, df, dg, do) 4H; GRU with
    /// linear_before_reset (dr, dz, dq, dn) 4H; GRU without (dr, dz, dn) 3H.
    /// </summary>
    public static int DaWidth(RnnLayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Cell == RnnCellType.Gru && !options.LinearBeforeReset ? 3 * options.HiddenSize : 4 * options.HiddenSize;
    }

    /// <summary>
    /// Leading columns of a da row that multiply h_prev in dR = da^T h_prev: LSTM 4H; GRU with linear_before_reset 3H
    /// (dr, dz, dq); without 2H (dr, dz; the n block multiplies r*h instead).
    /// </summary>
    public static int RecurrentGradWidth(RnnLayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Cell == RnnCellType.Lstm ? 4 * options.HiddenSize
            : options.LinearBeforeReset ? 3 * options.HiddenSize : 2 * options.HiddenSize;
    }
}
