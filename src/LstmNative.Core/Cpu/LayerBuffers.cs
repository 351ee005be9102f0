namespace LstmNative.Cpu;

/// <summary>
/// The working memory of one direction of one layer, sized once for a maximum batch and sequence length.
/// Walk order: step s of a row is the s-th step that row's direction visits (time s forward; len-1-s reverse).
/// </summary>
internal sealed class DirectionBuffers
{
    public DirectionBuffers(CpuLayerPlan plan, int maxSteps, int maxBatch, bool trace)
    {
        int hp = plan.HiddenPadded;
        var groups = plan.Directions[0].Groups;
        int stepSlots = trace ? maxSteps : 1;
        Pre = new AlignedBuffer[groups.Length];
        Recurrent = new AlignedBuffer[groups.Length];
        Act = new AlignedBuffer[groups.Length];
        for (int g = 0; g < groups.Length; g++)
        {
            int cols = groups[g].Columns;
            Pre[g] = new AlignedBuffer((long)maxSteps * maxBatch * cols);
            Recurrent[g] = new AlignedBuffer((long)maxBatch * cols);
            Act[g] = new AlignedBuffer((long)stepSlots * maxBatch * cols);
        }
        StateSlots = trace ? maxSteps + 1 : 2;
        H = new AlignedBuffer((long)StateSlots * maxBatch * hp);
        C = plan.IsLstm ? new AlignedBuffer((long)StateSlots * maxBatch * hp) : AlignedBuffer.Empty;
        bool gru = !plan.IsLstm;
        Q = gru && plan.Options.LinearBeforeReset ? new AlignedBuffer((long)stepSlots * maxBatch * hp) : AlignedBuffer.Empty;
        RH = gru && !plan.Options.LinearBeforeReset ? new AlignedBuffer((long)stepSlots * maxBatch * hp) : AlignedBuffer.Empty;
    }

    /// <summary>Per group: X·W for every (t, b), time-major <c>[T, B, cols]</c>, overwritten with the full pre-activations.</summary>
    public AlignedBuffer[] Pre { get; }

    /// <summary>Per group: the recurrent product of the current step <c>[B, cols]</c>.</summary>
    public AlignedBuffer[] Recurrent { get; }

    /// <summary>Per group: activated gates, walk order <c>[S, B, cols]</c> (one step when not tracing).</summary>
    public AlignedBuffer[] Act { get; }

    /// <summary>Number of state slots: S + 1 when tracing (slot s = state before walk step s), else a ring of 2.</summary>
    public int StateSlots { get; }

    /// <summary>Hidden states <c>[slots, B, Hpad]</c>.</summary>
    public AlignedBuffer H { get; }

    /// <summary>Cell states <c>[slots, B, Hpad]</c> (LSTM).</summary>
    public AlignedBuffer C { get; }

    /// <summary>GRU, linear_before_reset = 1: Rn·h + Rbn per step <c>[S, B, Hpad]</c>.</summary>
    public AlignedBuffer Q { get; }

    /// <summary>GRU, linear_before_reset = 0: r ⊙ h per step <c>[S, B, Hpad]</c>.</summary>
    public AlignedBuffer RH { get; }
}

/// <summary>Backward working memory of one direction.</summary>
internal sealed class DirectionGradients
{
    public DirectionGradients(CpuLayerPlan plan, int steps, int batch)
    {
        int hp = plan.HiddenPadded, groups = plan.Directions[0].Groups.Length;
        int inPad = (plan.Input + plan.PanelWidth - 1) / plan.PanelWidth * plan.PanelWidth;
        InputPadded = inPad;
        DA = new AlignedBuffer[groups];
        DW = new AlignedBuffer[groups];
        DR = new AlignedBuffer[groups];
        DBw = new AlignedBuffer[groups];
        DBr = new AlignedBuffer[groups];
        for (int g = 0; g < groups; g++)
        {
            int cols = plan.Directions[0].Groups[g].Columns;
            DA[g] = new AlignedBuffer((long)steps * batch * cols);
            DW[g] = new AlignedBuffer((long)cols * inPad);
            DR[g] = new AlignedBuffer((long)cols * hp);
            DBw[g] = new AlignedBuffer(cols);
            DBr[g] = new AlignedBuffer(cols);
        }
        DQ = !plan.IsLstm && plan.Options.LinearBeforeReset ? new AlignedBuffer((long)steps * batch * hp) : AlignedBuffer.Empty;
        DH = new AlignedBuffer((long)batch * hp);
        DC = plan.IsLstm ? new AlignedBuffer((long)batch * hp) : AlignedBuffer.Empty;
        DRH = !plan.IsLstm && !plan.Options.LinearBeforeReset ? new AlignedBuffer((long)batch * hp) : AlignedBuffer.Empty;
        DP = plan.Options.HasPeepholes ? new AlignedBuffer(3L * hp) : AlignedBuffer.Empty;
        DX = new AlignedBuffer((long)steps * batch * inPad);
        DY = AlignedBuffer.Empty;
    }

    public int InputPadded { get; }

    /// <summary>Per group: pre-activation gradients, walk order <c>[S, B, cols]</c> (zero for finished rows).</summary>
    public AlignedBuffer[] DA { get; }

    /// <summary>GRU, linear_before_reset = 1: dL/d(Rn·h + Rbn) <c>[S, B, Hpad]</c>.</summary>
    public AlignedBuffer DQ { get; }

    /// <summary>dL/dh flowing back <c>[B, Hpad]</c>; at the end dL/dh0.</summary>
    public AlignedBuffer DH { get; }

    /// <summary>dL/dc flowing back <c>[B, Hpad]</c> (LSTM).</summary>
    public AlignedBuffer DC { get; }

    /// <summary>GRU, linear_before_reset = 0: dL/d(r ⊙ h) of the current step <c>[B, Hpad]</c>.</summary>
    public AlignedBuffer DRH { get; }

    /// <summary>Peephole gradients, padded <c>[3, Hpad]</c>.</summary>
    public AlignedBuffer DP { get; }

    /// <summary>dY in walk order, padded <c>[S, B, Hpad]</c> (empty when no dY was given).</summary>
    public AlignedBuffer DY { get; set; }

    /// <summary>dL/dX in walk order <c>[S, B, Ipad]</c>.</summary>
    public AlignedBuffer DX { get; }

    /// <summary>Per group: dW in interleaved row order <c>[cols, Ipad]</c>.</summary>
    public AlignedBuffer[] DW { get; }

    /// <summary>Per group: dR in interleaved row order <c>[cols, Hpad]</c>.</summary>
    public AlignedBuffer[] DR { get; }

    /// <summary>Per group: input-bias gradient <c>[cols]</c>.</summary>
    public AlignedBuffer[] DBw { get; }

    /// <summary>Per group: recurrent-bias gradient <c>[cols]</c>.</summary>
    public AlignedBuffer[] DBr { get; }

    /// <summary>Packed X in walk order <c>[K = S·B, N = I]</c> (rows of finished steps zero).</summary>
    public Kernels.PackedMatrix? XPacked { get; set; }

    /// <summary>Packed h_prev (or r ⊙ h_prev for GRU's n gate with linear_before_reset = 0) <c>[K = S·B, N = H]</c>.</summary>
    public Kernels.PackedMatrix? HPacked { get; set; }

    /// <summary>Packed r ⊙ h_prev (GRU, linear_before_reset = 0).</summary>
    public Kernels.PackedMatrix? RHPacked { get; set; }

    /// <summary>For each walk row k = s·B + b: the time-major row t·B + b of X, or -1 when the row is finished.</summary>
    public int[] RowOfWalk { get; set; } = [];

    /// <summary>For each walk row: k itself, or -1 when finished.</summary>
    public int[] ValidWalk { get; set; } = [];
}
