using LstmNative.Cuda;
using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Training;

/// <summary>
/// The recurrent part of GPU training: a stack of LSTM/GRU layers (any <see cref="RnnLayerOptions"/>: directions,
/// peepholes, input_forget, clip, activations, both GRU reset variants) run forward in training mode and
/// back-propagated through time, with every buffer allocated once for a maximum sequence length and batch.
/// </summary>
/// <remarks>
/// <para>Forward, per layer: one GEMM for the input projections of all steps and both directions
/// (<c>x[T*B, I] · W[D*G*H, I]^T</c>, written into the gate reserve), then per step one strided-batched GEMM
/// <c>h[d] R[d]^T</c> and one fused pointwise kernel for both directions (GRU without linear_before_reset: two of each).</para>
/// <para>Backward, per layer from the top: per step one fused pointwise kernel (gate gradients da, the cell-state
/// gradient, the direct part of dh) and one GEMM per direction <c>dh += da R</c>; then, over all steps at once, one GEMM
/// each for dW (<c>da^T x</c>), dR (<c>da^T y</c> shifted by one step, plus the first steps' rows against h0) and dx
/// (<c>da W</c>), and two small reductions for the biases and peepholes. Weight gradients accumulate (beta = 1) until
/// the owner zeroes them.</para>
/// <para>Shapes are time-major like the reference: input <c>[T, B, I]</c>, output <c>[T, B, D*H]</c> (PyTorch's),
/// states <c>[L*D, B, H]</c>. Rows past their sequence length give zero output and keep their last valid state.</para>
/// </remarks>
public sealed class GpuRnnStack
{
    private readonly DeviceArena _memory;
    private readonly IDeviceQueue _queue;
    private readonly RnnLayerOptions[] _layers;
    private readonly ParameterLayout _layout;
    private readonly ulong _parameters, _gradients;
    private readonly ulong[] _gates, _pre, _cells, _extra, _y, _dropped;
    private readonly ulong _scratch, _da, _firstRows, _peepAcc, _innerGrad;
    private readonly long _stateElements;
    private int _steps, _batch;
    private bool _hasLengths, _hasH0, _hasC0, _droppedForward, _forwardDone;
    private ulong _seed;

    internal GpuRnnStack(DeviceArena memory, IReadOnlyList<RnnLayerOptions> layers, ParameterLayout layout,
        ulong parameters, ulong gradients, int maxSteps, int maxBatch, double dropout = 0, bool trainBiases = true)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(layout);
        _memory = memory;
        _queue = memory.Queue;
        _layers = layers.ToArray();
        _layout = layout;
        if (_layout.Layers.Count != _layers.Length)
            throw new ArgumentException("the parameter layout describes another network");
        Plan = new ReservePlan(_layers, maxSteps, maxBatch, dropout);
        Dropout = dropout;
        TrainBiases = trainBiases;
        _parameters = parameters;
        _gradients = gradients;

        var top = _layers[^1];
        long tb = (long)maxSteps * maxBatch;
        _stateElements = _layers.Sum(o => (long)o.DirectionCount * maxBatch * o.HiddenSize);
        Input = Floats(tb * _layers[0].InputSize);
        Output = Floats(tb * top.DirectionCount * top.HiddenSize);
        Lengths = memory.Allocate((long)maxBatch * sizeof(int));
        H0 = Floats(_stateElements);
        C0 = Floats(_stateElements);
        Hn = Floats(_stateElements);
        Cn = Floats(_stateElements);
        DOutput = Floats(tb * top.DirectionCount * top.HiddenSize);
        DHn = Floats(_stateElements);
        DCn = Floats(_stateElements);
        DInput = Floats(tb * _layers[0].InputSize);
        DH0 = Floats(_stateElements);
        DC0 = Floats(_stateElements);

        int count = _layers.Length;
        _gates = new ulong[count];
        _pre = new ulong[count];
        _cells = new ulong[count];
        _extra = new ulong[count];
        _y = new ulong[count];
        _dropped = new ulong[count];
        for (int l = 0; l < count; l++)
        {
            var r = Plan.Layers[l];
            _gates[l] = Floats(r.Gates);
            _pre[l] = Floats(r.PreActivations);
            _cells[l] = Floats(r.Cells);
            _extra[l] = Floats(r.Extra);
            _y[l] = l == count - 1 ? Output : Floats(r.Output);
            _dropped[l] = Floats(r.DroppedOutput);
        }
        _scratch = Floats(Plan.ScratchElements);
        _da = Floats(Plan.GateGradientElements);
        _firstRows = Floats(Plan.FirstStepRowsElements);
        _peepAcc = Floats(Plan.PeepholeAccumulatorElements);
        _innerGrad = Floats(Plan.InnerGradientElements);
    }

    /// <summary>The layers, bottom first.</summary>
    public IReadOnlyList<RnnLayerOptions> Layers => _layers;

    /// <summary>The buffer sizes (reserve and workspace).</summary>
    public ReservePlan Plan { get; }

    /// <summary>Dropout probability between layers in training.</summary>
    public double Dropout { get; }

    /// <summary>Whether bias gradients are computed (false for networks built without biases: they stay zero).</summary>
    public bool TrainBiases { get; }

    /// <summary>Sequence length of the last forward pass.</summary>
    public int Steps => _steps;

    /// <summary>Batch of the last forward pass.</summary>
    public int Batch => _batch;

    /// <summary>Features of the input.</summary>
    public int InputSize => _layers[0].InputSize;

    /// <summary>Features of the output (directions × hidden of the top layer).</summary>
    public int OutputSize => _layers[^1].DirectionCount * _layers[^1].HiddenSize;

    /// <summary>Elements of the state tensors <c>[L*D, B, H]</c> for <paramref name="batch"/> rows.</summary>
    public long StateElements(int batch)
    {
        long total = 0;
        foreach (var o in _layers)
            total += (long)o.DirectionCount * batch * o.HiddenSize;
        return total;
    }

    // Device buffers, time-major, sized for the maximum steps and batch; a call uses their leading part.
    internal ulong Input { get; }
    internal ulong Output { get; }
    internal ulong Lengths { get; }
    internal ulong H0 { get; }
    internal ulong C0 { get; }
    internal ulong Hn { get; }
    internal ulong Cn { get; }
    internal ulong DOutput { get; }
    internal ulong DHn { get; }
    internal ulong DCn { get; }
    internal ulong DInput { get; }
    internal ulong DH0 { get; }
    internal ulong DC0 { get; }

    /// <summary>
    /// Uploads the inputs and queues the training forward pass. Empty spans mean: every row has all steps, zero
    /// initial states. <paramref name="x"/> is <c>[T, B, I]</c>, states <c>[L*D, B, H]</c>.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> lengths = default,
        ReadOnlySpan<float> h0 = default, ReadOnlySpan<float> c0 = default, bool training = true, ulong seed = 0)
    {
        CheckShape(steps, batch);
        long inputs = (long)steps * batch * InputSize, state = StateElements(batch);
        if (x.Length != inputs)
            throw new ArgumentException($"x must hold [T={steps}, B={batch}, I={InputSize}] = {inputs} values, got {x.Length}");
        if (!lengths.IsEmpty)
        {
            if (lengths.Length != batch)
                throw new ArgumentException($"sequence lengths: one per batch row ({batch}), got {lengths.Length}");
            foreach (int len in lengths)
                if (len < 0 || len > steps)
                    throw new ArgumentException($"sequence lengths must be in [0, {steps}], got {len}");
        }
        if (!h0.IsEmpty && h0.Length != state)
            throw new ArgumentException($"h0 must hold [L*D, B, H] = {state} values, got {h0.Length}");
        if (!c0.IsEmpty && (c0.Length != state || _layers.Any(o => o.Cell != RnnCellType.Lstm)))
            throw new ArgumentException(_layers.Any(o => o.Cell != RnnCellType.Lstm)
                ? "c0 is given but a layer is a GRU (no cell state)"
                : $"c0 must hold [L*D, B, H] = {state} values, got {c0.Length}");
        _queue.Upload(Input, x);
        _queue.Upload(Lengths, lengths);
        _queue.Upload(H0, h0);
        _queue.Upload(C0, c0);
        ForwardOnDevice(steps, batch, !lengths.IsEmpty, !h0.IsEmpty, !c0.IsEmpty, training, seed);
    }

    /// <summary>
    /// Uploads the upstream gradients (empty: zero) and queues back-propagation through the last forward pass.
    /// <paramref name="dOutput"/> is <c>[T, B, D*H]</c>; entries past a row's length are ignored. Weight gradients
    /// are added to the gradient buffer; input and initial-state gradients replace the previous ones.
    /// </summary>
    public void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> dHn = default, ReadOnlySpan<float> dCn = default, bool inputGradient = true)
    {
        if (!_forwardDone)
            throw new InvalidOperationException("Backward needs a forward pass first");
        long outputs = (long)_steps * _batch * OutputSize, state = StateElements(_batch);
        if (!dOutput.IsEmpty && dOutput.Length != outputs)
            throw new ArgumentException($"the output gradient must hold [T={_steps}, B={_batch}, {OutputSize}] = {outputs} values, got {dOutput.Length}");
        if (!dHn.IsEmpty && dHn.Length != state)
            throw new ArgumentException($"the h_n gradient must hold [L*D, B, H] = {state} values, got {dHn.Length}");
        if (!dCn.IsEmpty && dCn.Length != state)
            throw new ArgumentException($"the c_n gradient must hold [L*D, B, H] = {state} values, got {dCn.Length}");
        _queue.Upload(DOutput, dOutput);
        _queue.Upload(DHn, dHn);
        _queue.Upload(DCn, dCn);
        BackwardOnDevice(!dOutput.IsEmpty, !dHn.IsEmpty, !dCn.IsEmpty, inputGradient);
    }

    /// <summary>Copies the output <c>[T, B, D*H]</c> of the last forward pass (waits for it).</summary>
    public void ReadOutput(Span<float> destination) => Read(Output, destination, (long)_steps * _batch * OutputSize, "output");

    /// <summary>Copies the final hidden states <c>[L*D, B, H]</c>.</summary>
    public void ReadHn(Span<float> destination) => Read(Hn, destination, StateElements(_batch), "h_n");

    /// <summary>Copies the final cell states <c>[L*D, B, H]</c> (LSTM).</summary>
    public void ReadCn(Span<float> destination) => Read(Cn, destination, StateElements(_batch), "c_n");

    /// <summary>Copies dL/dx <c>[T, B, I]</c> of the last backward pass (requested with inputGradient).</summary>
    public void ReadInputGradient(Span<float> destination) => Read(DInput, destination, (long)_steps * _batch * InputSize, "input gradient");

    /// <summary>Copies dL/dh0 <c>[L*D, B, H]</c>.</summary>
    public void ReadH0Gradient(Span<float> destination) => Read(DH0, destination, StateElements(_batch), "h0 gradient");

    /// <summary>Copies dL/dc0 <c>[L*D, B, H]</c> (LSTM).</summary>
    public void ReadC0Gradient(Span<float> destination) => Read(DC0, destination, StateElements(_batch), "c0 gradient");

    private void Read(ulong source, Span<float> destination, long count, string what)
    {
        if (destination.Length != count)
            throw new ArgumentException($"{what}: the destination must hold {count} values, got {destination.Length}");
        _queue.Download(source, destination);
    }

    private void CheckShape(int steps, int batch)
    {
        if (steps < 1 || steps > Plan.MaxSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be in [1, {Plan.MaxSteps}] (the planned maximum), got {steps}");
        if (batch < 1 || batch > Plan.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be in [1, {Plan.MaxBatch}] (the planned maximum), got {batch}");
    }

    /// <summary>The forward pass on inputs already on the device (<see cref="Input"/>, <see cref="Lengths"/>, <see cref="H0"/>, <see cref="C0"/>).</summary>
    internal void ForwardOnDevice(int steps, int batch, bool hasLengths, bool hasH0, bool hasC0, bool training, ulong seed)
    {
        CheckShape(steps, batch);
        _steps = steps;
        _batch = batch;
        _hasLengths = hasLengths;
        _hasH0 = hasH0;
        _hasC0 = hasC0;
        _seed = seed;
        _droppedForward = training && Dropout > 0 && _layers.Length > 1;
        ulong x = Input;
        long stateOffset = 0;
        for (int l = 0; l < _layers.Length; l++)
        {
            var o = _layers[l];
            var s = _layout.Layers[l];
            int dirs = o.DirectionCount, h = o.HiddenSize, gh = o.GateCount * h;
            long rows = (long)steps * batch, state = (long)dirs * batch * h;
            ulong hState = F(Hn, stateOffset), cState = F(Cn, stateOffset);

            // Input projections of every step and direction: gates[T*B, D*G*H] = x W^T.
            _queue.Gemm(new GemmOp(false, true, (int)rows, dirs * gh, o.InputSize, 1f, x, o.InputSize, P(s.W), o.InputSize, 0f, _gates[l], dirs * gh));
            if (hasH0)
                _queue.Copy(hState, F(H0, stateOffset), state * sizeof(float));
            else
                _queue.Zero(hState, state * sizeof(float));
            if (o.Cell == RnnCellType.Lstm)
            {
                if (hasC0)
                    _queue.Copy(cState, F(C0, stateOffset), state * sizeof(float));
                else
                    _queue.Zero(cState, state * sizeof(float));
            }

            var p = StepParams(l, stateOffset, steps, batch);
            var launch = TrainingLaunch.Step(h, batch, dirs);
            bool general = ReservePlan.NeedsGeneralKernels(o);
            bool resetBefore = o.Cell == RnnCellType.Gru && !o.LinearBeforeReset;
            // Recurrent GEMM of all directions at once: scratch[d][B, cols] = h[d] R[d][0:cols]^T.
            var recurrent = new GemmOp(false, true, batch, resetBefore ? 2 * h : gh, h, 1f, hState, h, P(s.R), h, 0f, _scratch, gh)
                .Batched((long)batch * h, (long)gh * h, (long)batch * gh, dirs);
            for (int k = 0; k < steps; k++)
            {
                SetTimes(ref p, o, k, steps);
                _queue.Gemm(recurrent);
                if (o.Cell == RnnCellType.Lstm)
                {
                    _queue.Launch(general ? TrainingKernel.LstmForwardStepGeneral : TrainingKernel.LstmForwardStep, launch, p);
                }
                else if (!resetBefore)
                {
                    _queue.Launch(general ? TrainingKernel.GruForwardStepGeneral : TrainingKernel.GruForwardStep, launch, p);
                }
                else
                {
                    _queue.Launch(general ? TrainingKernel.GruForwardRzGeneral : TrainingKernel.GruForwardRz, launch, p);
                    // scratch[d][:, 2H:3H] = (r * h_prev)[t_d] Rn^T.
                    for (int d = 0; d < dirs; d++)
                    {
                        int t = d == 0 ? p.T0 : p.T1;
                        _queue.Gemm(new GemmOp(false, true, batch, h, h, 1f, F(_extra[l], ((long)t * batch * dirs + d) * h), dirs * h,
                            P(s.ROf(d) + 2L * h * h), h, 0f, F(_scratch, (long)d * batch * gh + 2L * h), gh));
                    }
                    _queue.Launch(general ? TrainingKernel.GruForwardNGeneral : TrainingKernel.GruForwardN, launch, p);
                }
            }

            x = _y[l];
            if (_droppedForward && l < _layers.Length - 1)
            {
                var drop = DropoutOf(l, rows * dirs * h);
                drop.Src = _y[l];
                drop.Dst = _dropped[l];
                _queue.Launch(TrainingKernel.DropoutForward, TrainingLaunch.GridStride(drop.Count), drop);
                x = _dropped[l];
            }
            stateOffset += state;
        }
        _forwardDone = true;
    }

    /// <summary>
    /// Back-propagation on upstream gradients already on the device (<see cref="DOutput"/>, <see cref="DHn"/>,
    /// <see cref="DCn"/>), through the last forward pass.
    /// </summary>
    internal void BackwardOnDevice(bool hasDOutput, bool hasDHn, bool hasDCn, bool inputGradient)
    {
        if (!_forwardDone)
            throw new InvalidOperationException("Backward needs a forward pass first");
        int steps = _steps, batch = _batch;
        long rows = (long)steps * batch;
        long stateOffset = StateElements(batch);
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            var o = _layers[l];
            var s = _layout.Layers[l];
            int dirs = o.DirectionCount, h = o.HiddenSize, gh = o.GateCount * h, inputs = o.InputSize;
            int daW = ReservePlan.DaWidth(o), gwr = ReservePlan.RecurrentGradWidth(o);
            long state = (long)dirs * batch * h;
            stateOffset -= state;
            bool top = l == _layers.Length - 1;
            bool lstm = o.Cell == RnnCellType.Lstm, resetBefore = o.Cell == RnnCellType.Gru && !o.LinearBeforeReset;
            ulong x = l == 0 ? Input : _droppedForward ? _dropped[l - 1] : _y[l - 1];
            ulong y = _y[l];
            ulong dy = top ? (hasDOutput ? DOutput : 0UL) : _innerGrad;
            if (!top && _droppedForward)
            {
                // The gradient reaching y_l went through the dropout after layer l: apply the same mask.
                var drop = DropoutOf(l, rows * dirs * h);
                drop.Src = _innerGrad;
                drop.Dst = _innerGrad;
                _queue.Launch(TrainingKernel.DropoutBackward, TrainingLaunch.GridStride(drop.Count), drop);
            }

            // The carried gradients start as dL/dY_h, dL/dY_c and end as dL/dh0, dL/dc0 (in place).
            ulong dh = F(DH0, stateOffset), dc = F(DC0, stateOffset);
            if (hasDHn)
                _queue.Copy(dh, F(DHn, stateOffset), state * sizeof(float));
            else
                _queue.Zero(dh, state * sizeof(float));
            if (lstm)
            {
                if (hasDCn)
                    _queue.Copy(dc, F(DCn, stateOffset), state * sizeof(float));
                else
                    _queue.Zero(dc, state * sizeof(float));
            }
            if (o.HasPeepholes)
                _queue.Zero(_peepAcc, state * 3 * sizeof(float));

            var p = StepParams(l, stateOffset, steps, batch);
            p.Da = _da;
            p.Dy = dy;
            p.Dh = dh;
            p.Dc = lstm ? dc : 0;
            p.PeepAcc = o.HasPeepholes ? _peepAcc : 0;
            var launch = TrainingLaunch.Step(h, batch, dirs);
            bool general = ReservePlan.NeedsGeneralKernels(o);
            long daRow = (long)dirs * daW;
            for (int k = steps - 1; k >= 0; k--)
            {
                SetTimes(ref p, o, k, steps);
                if (!resetBefore)
                {
                    _queue.Launch(lstm
                        ? general ? TrainingKernel.LstmBackwardStepGeneral : TrainingKernel.LstmBackwardStep
                        : general ? TrainingKernel.GruBackwardStepGeneral : TrainingKernel.GruBackwardStep, launch, p);
                    for (int d = 0; d < dirs; d++)
                    {
                        int t = d == 0 ? p.T0 : p.T1;
                        _queue.Gemm(new GemmOp(false, false, batch, h, gwr, 1f, F(_da, ((long)t * batch * dirs + d) * daW), (int)daRow,
                            P(s.ROf(d)), h, 1f, F(dh, (long)d * batch * h), h));
                    }
                }
                else
                {
                    _queue.Launch(general ? TrainingKernel.GruBackwardZnGeneral : TrainingKernel.GruBackwardZn, launch, p);
                    for (int d = 0; d < dirs; d++)
                    {
                        int t = d == 0 ? p.T0 : p.T1;
                        _queue.Gemm(new GemmOp(false, false, batch, h, h, 1f, F(_da, ((long)t * batch * dirs + d) * daW + 2L * h), (int)daRow,
                            P(s.ROf(d) + 2L * h * h), h, 0f, F(_scratch, (long)d * batch * h), h));
                    }
                    _queue.Launch(general ? TrainingKernel.GruBackwardRGeneral : TrainingKernel.GruBackwardR, launch, p);
                    for (int d = 0; d < dirs; d++)
                    {
                        int t = d == 0 ? p.T0 : p.T1;
                        _queue.Gemm(new GemmOp(false, false, batch, h, gwr, 1f, F(_da, ((long)t * batch * dirs + d) * daW), (int)daRow,
                            P(s.ROf(d)), h, 1f, F(dh, (long)d * batch * h), h));
                    }
                }
            }

            // dW += da^T x over all steps (both directions in one GEMM when the da row matches W's rows).
            bool daMatchesW = daW == gh;
            if (daMatchesW)
            {
                _queue.Gemm(new GemmOp(true, false, dirs * gh, inputs, (int)rows, 1f, _da, (int)daRow, x, inputs, 1f, G(s.W), inputs));
            }
            else
            {
                for (int d = 0; d < dirs; d++)
                {
                    _queue.Gemm(new GemmOp(true, false, 2 * h, inputs, (int)rows, 1f, F(_da, (long)d * daW), (int)daRow, x, inputs, 1f, G(s.WOf(d)), inputs));
                    _queue.Gemm(new GemmOp(true, false, h, inputs, (int)rows, 1f, F(_da, (long)d * daW + 3L * h), (int)daRow, x, inputs, 1f, G(s.WOf(d) + 2L * h * inputs), inputs));
                }
            }

            // dR += da^T h_prev: h_prev is y one step earlier in the walk (zero past a row's end), plus h0 on each row's first step.
            for (int d = 0; d < dirs; d++)
            {
                bool reverse = IsReverse(o, d);
                if (steps > 1)
                {
                    long daStart = reverse ? (long)d * daW : ((long)batch * dirs + d) * daW;
                    long yStart = reverse ? (long)batch * dirs * h + (long)d * h : (long)d * h;
                    _queue.Gemm(new GemmOp(true, false, gwr, h, (int)((steps - 1) * (long)batch), 1f, F(_da, daStart), (int)daRow,
                        F(y, yStart), dirs * h, 1f, G(s.ROf(d)), h));
                }
                if (_hasH0)
                {
                    var gather = new GatherParams
                    {
                        Da = _da, Out = _firstRows, Lengths = _hasLengths ? Lengths : 0, Batch = batch, Dirs = dirs,
                        Direction = d, Steps = steps, Width = daW, Reverse = reverse ? 1 : 0,
                    };
                    _queue.Launch(TrainingKernel.GatherFirstStep, TrainingLaunch.Linear((long)batch * daW), gather);
                    _queue.Gemm(new GemmOp(true, false, gwr, h, batch, 1f, _firstRows, daW, F(H0, stateOffset + (long)d * batch * h), h, 1f, G(s.ROf(d)), h));
                }
                if (resetBefore)
                {
                    // The n block multiplies r * h_prev (kept in the extra reserve), not h_prev.
                    _queue.Gemm(new GemmOp(true, false, h, h, (int)rows, 1f, F(_da, (long)d * daW + 2L * h), (int)daRow,
                        F(_extra[l], (long)d * h), dirs * h, 1f, G(s.ROf(d) + 2L * h * h), h));
                }
            }

            if (TrainBiases)
            {
                for (int d = 0; d < dirs; d++)
                {
                    var bias = new BiasGradParams
                    {
                        Src = F(_da, (long)d * daW), Dbw = G(s.BwOf(d)), Dbr = G(s.BrOf(d)), Rows = rows, RowStride = (int)daRow,
                        Width = daW, Mode = o.Cell == RnnCellType.Gru && o.LinearBeforeReset ? 1 : 0, Hidden = h,
                    };
                    _queue.Launch(TrainingKernel.BiasGradColumns, TrainingLaunch.Columns(daW), bias);
                }
            }
            if (o.HasPeepholes)
            {
                var peep = new PeepholeGradParams { Acc = _peepAcc, Dp = G(s.P), Batch = batch, Dirs = dirs, Hidden = h };
                _queue.Launch(TrainingKernel.PeepholeGradReduce, TrainingLaunch.Linear((long)dirs * 3 * h), peep);
            }

            // dx = da W: the input gradient, or the gradient of the layer below's output (in place of dy, now consumed).
            if (l > 0 || inputGradient)
            {
                ulong dx = l == 0 ? DInput : _innerGrad;
                if (daMatchesW)
                {
                    _queue.Gemm(new GemmOp(false, false, (int)rows, inputs, dirs * gh, 1f, _da, (int)daRow, P(s.W), inputs, 0f, dx, inputs));
                }
                else
                {
                    for (int d = 0; d < dirs; d++)
                    {
                        _queue.Gemm(new GemmOp(false, false, (int)rows, inputs, 2 * h, 1f, F(_da, (long)d * daW), (int)daRow, P(s.WOf(d)), inputs, d == 0 ? 0f : 1f, dx, inputs));
                        _queue.Gemm(new GemmOp(false, false, (int)rows, inputs, h, 1f, F(_da, (long)d * daW + 3L * h), (int)daRow, P(s.WOf(d) + 2L * h * inputs), inputs, 1f, dx, inputs));
                    }
                }
            }
        }
    }

    private unsafe RnnStepParams StepParams(int l, long stateOffset, int steps, int batch)
    {
        var o = _layers[l];
        var s = _layout.Layers[l];
        var flags = RnnStepFlags.None;
        if (o.HasPeepholes)
            flags |= RnnStepFlags.Peepholes;
        if (o.InputForget)
            flags |= RnnStepFlags.InputForget;
        if (o.Clip is not null)
            flags |= RnnStepFlags.Clip;
        if (o.Direction == RnnDirection.Reverse)
            flags |= RnnStepFlags.Reverse;
        var p = new RnnStepParams
        {
            Gates = _gates[l],
            Pre = _pre[l],
            Cells = _cells[l],
            Extra = _extra[l],
            Y = _y[l],
            H = F(Hn, stateOffset),
            C = o.Cell == RnnCellType.Lstm ? F(Cn, stateOffset) : 0,
            H0 = _hasH0 ? F(H0, stateOffset) : 0,
            C0 = _hasC0 && o.Cell == RnnCellType.Lstm ? F(C0, stateOffset) : 0,
            Scratch = _scratch,
            Bw = P(s.Bw),
            Br = P(s.Br),
            Peep = o.HasPeepholes ? P(s.P) : 0,
            Lengths = _hasLengths ? Lengths : 0,
            Batch = batch,
            Hidden = o.HiddenSize,
            Dirs = o.DirectionCount,
            Steps = steps,
            DaWidth = ReservePlan.DaWidth(o),
            Flags = flags,
            Clip = o.Clip is { } c ? (float)c : 0f,
        };
        for (int d = 0; d < o.DirectionCount; d++)
        {
            for (int k = 0; k < o.ActivationsPerDirection; k++)
            {
                var a = o.GetActivation(d, k);
                p.ActKind[d * 3 + k] = (int)a.Kind;
                p.ActAlpha[d * 3 + k] = (float)a.Alpha;
                p.ActBeta[d * 3 + k] = (float)a.Beta;
            }
        }
        return p;
    }

    /// <summary>The time index each direction works on at position <paramref name="k"/> of the walk.</summary>
    private static void SetTimes(ref RnnStepParams p, RnnLayerOptions o, int k, int steps)
    {
        p.T0 = IsReverse(o, 0) ? steps - 1 - k : k;
        p.T1 = steps - 1 - k;
    }

    private static bool IsReverse(RnnLayerOptions o, int d) => o.RunsReversed(d);

    private DropoutParams DropoutOf(int layer, long count) => new()
    {
        Count = count,
        Seed = DropoutMask.LayerSeed(_seed, layer),
        P = (float)Dropout,
        Scale = DropoutMask.Scale(Dropout),
    };

    private ulong Floats(long count) => count == 0 ? 0 : _memory.Allocate(count * sizeof(float));

    private ulong P(long offset) => _parameters + (ulong)(offset * sizeof(float));

    private ulong G(long offset) => _gradients + (ulong)(offset * sizeof(float));

    private static ulong F(ulong buffer, long offset) => buffer + (ulong)(offset * sizeof(float));
}
