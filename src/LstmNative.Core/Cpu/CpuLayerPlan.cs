using LstmNative.Cpu.Kernels;
using LstmNative.Model;

namespace LstmNative.Cpu;

/// <summary>
/// One group of gates whose columns are computed by one GEMM: LSTM has one group (i, f, g, o); GRU has two,
/// (r, z) and (n), because with <c>linear_before_reset = 0</c> the n gate needs <c>r ⊙ h</c> before its recurrent product.
/// </summary>
/// <remarks>
/// Columns are interleaved by unit block: hidden units are cut into blocks of NR (= 2 vector registers) and block u owns
/// the <c>Gates·NR</c> consecutive columns <c>[u·Gates·NR, (u+1)·Gates·NR)</c>, gate after gate. A worker that owns a
/// range of unit blocks therefore owns whole panels of every gate of its units and can run the fused gate/cell update
/// for them without waiting for anyone (DeepCPU's partitioning).
/// </remarks>
internal sealed class GateGroup
{
    public GateGroup(int firstGate, int gates, int blocks, int panelWidth)
    {
        FirstGate = firstGate;
        Gates = gates;
        Columns = blocks * gates * panelWidth;
    }

    /// <summary>Internal index of the group's first gate.</summary>
    public int FirstGate { get; }

    /// <summary>Gates in the group.</summary>
    public int Gates { get; }

    /// <summary>Interleaved, padded column count (Blocks · Gates · NR).</summary>
    public int Columns { get; }

    /// <summary>Input projection <c>[K = I, N = Columns]</c>.</summary>
    public PackedMatrix InputForward { get; set; } = null!;

    /// <summary>Recurrent product <c>[K = H, N = Columns]</c>.</summary>
    public PackedMatrix RecurrentForward { get; set; } = null!;

    /// <summary>Backward through R: <c>[K = Columns, N = H]</c> (null for inference-only plans).</summary>
    public PackedMatrix? RecurrentBackward { get; set; }

    /// <summary>Backward through W: <c>[K = Columns, N = I]</c> (null for inference-only plans).</summary>
    public PackedMatrix? InputBackward { get; set; }

    /// <summary>Bias added to the pre-activation, interleaved <c>[Columns]</c>.</summary>
    public AlignedBuffer Bias { get; set; } = null!;
}

/// <summary>The packed weights of one direction.</summary>
internal sealed class DirectionPlan
{
    public DirectionPlan(GateGroup[] groups) => Groups = groups;

    public GateGroup[] Groups { get; }

    /// <summary>LSTM peepholes i, f, o, each padded to <c>Hpad</c>; null without peepholes.</summary>
    public AlignedBuffer? Peepholes { get; set; }

    /// <summary>GRU with linear_before_reset: <c>Rbn</c> padded to <c>Hpad</c> (added to <c>Rn·h</c>).</summary>
    public AlignedBuffer? RecurrentBiasN { get; set; }
}

/// <summary>
/// A layer's weights packed for one kernel width: immutable after construction, so any number of sessions and threads
/// can read it at once.
/// </summary>
internal sealed unsafe class CpuLayerPlan
{
    /// <param name="weights">The layer.</param>
    /// <param name="width">Kernel width.</param>
    /// <param name="forBackward">Also pack the backward products (float32 only).</param>
    /// <param name="precision">How W and R are stored.</param>
    /// <param name="ranges">Int8 only: the calibrated activation ranges of static int8 (W gets the input range, each
    /// direction's R its hidden range); null for dynamic int8.</param>
    public CpuLayerPlan(LayerWeights<float> weights, KernelWidth width, bool forBackward, CpuPrecision precision = CpuPrecision.Fp32,
        Int8LayerRanges? ranges = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (ranges is not null && precision != CpuPrecision.Int8)
            throw new ArgumentException($"calibrated activation ranges are for int8 weights, not {precision}", nameof(ranges));
        if (forBackward && precision != CpuPrecision.Fp32)
            throw new ArgumentException($"{precision} weights are for inference only: training needs float32", nameof(precision));
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), $"unknown precision {precision}");
        var o = weights.Options;
        // The options and every direction's array lengths: Directions is writable, and PackDirection indexes the arrays
        // with the options' sizes (a smaller array would be read out of range, a larger one packed with wrong strides).
        weights.Validate();
        // Projections (proj_size) exist in the reference engine only so far; packing them here would misread R.
        if (o.ProjectionSize > 0)
            throw new NotSupportedException($"the CPU engine does not support LSTM projections (proj_size {o.ProjectionSize}) yet: run the model on the reference engine (ReferenceStack)");
        Options = o;
        Width = width;
        ForBackward = forBackward;
        Precision = precision;
        VectorWidth = (int)width;
        PanelWidth = 2 * VectorWidth;
        Hidden = o.HiddenSize;
        Input = o.InputSize;
        Blocks = (Hidden + PanelWidth - 1) / PanelWidth;
        HiddenPadded = Blocks * PanelWidth;
        DefaultActivations = o.HasDefaultActivations;
        Clip = o.Clip is { } c ? (float)c : float.PositiveInfinity;
        if (ranges is not null && ranges.Hidden.Count != o.DirectionCount)
            throw new ArgumentException($"the calibration has {ranges.Hidden.Count} hidden range(s), the layer {o.DirectionCount} direction(s)", nameof(ranges));
        Ranges = ranges;
        Directions = new DirectionPlan[o.DirectionCount];
        for (int d = 0; d < Directions.Length; d++)
            Directions[d] = PackDirection(weights.Directions[d], ranges?.Input ?? 0, ranges?.Hidden[d] ?? 0);
    }

    /// <summary>Static int8: the calibrated activation ranges the products use; null otherwise.</summary>
    public Int8LayerRanges? Ranges { get; }

    public RnnLayerOptions Options { get; }

    public KernelWidth Width { get; }

    public bool ForBackward { get; }

    /// <summary>
    /// How W and R are stored (the forward packs; backward packs are always float32). bf16 stores both: the recurrent
    /// product and a streaming Step's input product are bandwidth-bound and read half the bytes, while the T-step input
    /// GEMM, compute-bound, decodes bf16 at no measurable cost (batch-1 runs with float32 W and with bf16 W measured alike).
    /// </summary>
    public CpuPrecision Precision { get; }

    /// <summary>Bytes of the packed forward weight matrices (W and R of every direction).</summary>
    public long ForwardWeightBytes
    {
        get
        {
            long n = 0;
            foreach (var d in Directions)
                foreach (var g in d.Groups)
                    n += g.InputForward.ByteSize + g.RecurrentForward.ByteSize;
            return n;
        }
    }

    /// <summary>Floats per vector register (1, 8 or 16).</summary>
    public int VectorWidth { get; }

    /// <summary>NR: columns per packed panel and hidden units per block (2 registers).</summary>
    public int PanelWidth { get; }

    public int Hidden { get; }

    public int Input { get; }

    /// <summary>Unit blocks: ceil(H / NR).</summary>
    public int Blocks { get; }

    /// <summary>H rounded up to NR.</summary>
    public int HiddenPadded { get; }

    public bool DefaultActivations { get; }

    /// <summary>ONNX clip, +∞ when none.</summary>
    public float Clip { get; }

    public DirectionPlan[] Directions { get; }

    public bool IsLstm => Options.Cell == RnnCellType.Lstm;

    /// <summary>The internal weight row (gate·H + unit) behind interleaved column <paramref name="col"/>, or -1 for padding.</summary>
    public int RowOfColumn(GateGroup g, int col)
    {
        int nr = PanelWidth;
        int u = col / (g.Gates * nr), rem = col % (g.Gates * nr);
        int gate = rem / nr, unit = u * nr + rem % nr;
        return unit < Hidden ? (g.FirstGate + gate) * Hidden + unit : -1;
    }

    /// <summary>Packs one direction; <paramref name="inputRange"/>/<paramref name="hiddenRange"/>: the static ranges of x and h (0: dynamic).</summary>
    /// <remarks>GRU's n-gate R with linear_before_reset = 0 multiplies r ⊙ h, which the h range bounds (r ∈ (0, 1)).</remarks>
    private DirectionPlan PackDirection(DirectionWeights<float> w, float inputRange, float hiddenRange)
    {
        var o = Options;
        GateGroup[] groups = o.Cell == RnnCellType.Lstm
            ? [new GateGroup(0, 4, Blocks, PanelWidth)]
            : [new GateGroup(0, 2, Blocks, PanelWidth), new GateGroup(2, 1, Blocks, PanelWidth)];
        var plan = new DirectionPlan(groups);
        foreach (var g in groups)
        {
            var rows = new int[g.Columns];
            for (int c = 0; c < rows.Length; c++)
                rows[c] = RowOfColumn(g, c);
            g.InputForward = new PackedMatrix(Input, g.Columns, PanelWidth, Precision) { StaticRange = inputRange };
            g.InputForward.Pack(new TransposedRows(w.W, Input, rows));
            g.RecurrentForward = new PackedMatrix(Hidden, g.Columns, PanelWidth, Precision) { StaticRange = hiddenRange };
            g.RecurrentForward.Pack(new TransposedRows(w.R, Hidden, rows));
            if (ForBackward)
            {
                g.RecurrentBackward = new PackedMatrix(g.Columns, Hidden, PanelWidth);
                g.RecurrentBackward.Pack(new Rows(w.R, Hidden, rows));
                g.InputBackward = new PackedMatrix(g.Columns, Input, PanelWidth);
                g.InputBackward.Pack(new Rows(w.W, Input, rows));
            }
            g.Bias = new AlignedBuffer(g.Columns);
            var bias = g.Bias.Span;
            for (int c = 0; c < rows.Length; c++)
            {
                int r = rows[c];
                if (r < 0)
                    continue;
                // The recurrent bias joins the input bias except GRU's n gate with linear_before_reset (it sits inside r ⊙ (Rn h + Rbn)).
                bool separate = o.Cell == RnnCellType.Gru && o.LinearBeforeReset && r >= 2 * Hidden;
                bias[c] = w.Bw[r] + (separate ? 0f : w.Br[r]);
            }
        }
        if (w.P is { } p)
        {
            plan.Peepholes = new AlignedBuffer(3 * HiddenPadded);
            var span = plan.Peepholes.Span;
            for (int k = 0; k < 3; k++)
                p.AsSpan(k * Hidden, Hidden).CopyTo(span.Slice(k * HiddenPadded, Hidden));
        }
        if (o.Cell == RnnCellType.Gru && o.LinearBeforeReset)
        {
            plan.RecurrentBiasN = new AlignedBuffer(HiddenPadded);
            w.Br.AsSpan(2 * Hidden, Hidden).CopyTo(plan.RecurrentBiasN.Span);
        }
        return plan;
    }

    /// <summary>B[k, n] = M[rows[n], k]: a weight matrix transposed, columns in interleaved order.</summary>
    private readonly struct TransposedRows(float[] m, int cols, int[] rows) : IElementMap
    {
        public float Get(int k, int n) => rows[n] < 0 ? 0f : m[rows[n] * cols + k];
    }

    /// <summary>B[k, n] = M[rows[k], n]: a weight matrix with its rows in interleaved order.</summary>
    private readonly struct Rows(float[] m, int cols, int[] rows) : IElementMap
    {
        public float Get(int k, int n) => rows[k] < 0 ? 0f : m[rows[k] * cols + n];
    }
}
