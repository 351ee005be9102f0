using LstmNative.Gpu.Device;
using LstmNative.Cuda;
using LstmNative.Model;
using LstmNative.Onnx;

namespace LstmNative.Gpu.Training;

/// <summary>
/// Back-propagation through one ONNX LSTM/GRU node on the GPU, with the contract of
/// <see cref="OnnxRnnOperator.Backward"/>: upstream gradients by output role in ONNX shapes (absent ones are zero),
/// float32 gradients for every float input present, by input role, in the input's own shape and layout. The node's
/// inputs are mapped to the engine's time-major layout here, run through <see cref="GpuRnnStack"/> in float32,
/// and the gradients mapped back (gate order through <see cref="GateOrder"/>).
/// </summary>
public static class GpuOnnxBackward
{
    /// <summary>Runs the backward pass of <paramref name="op"/> on the GPU of <paramref name="context"/>.</summary>
    /// <param name="context">The GPU context (current on the calling thread).</param>
    /// <param name="kernels">The embedded kernels module.</param>
    /// <param name="op">The bound node (its options, weights and shapes are already validated).</param>
    /// <param name="inputs">The node's inputs by role (X, W, R, B, sequence_lens, initial_h, initial_c, P).</param>
    /// <param name="upstream">Gradients of the outputs by role (Y, Y_h, Y_c).</param>
    public static IReadOnlyDictionary<string, NdArray> Run(CudaContext context, CudaModule kernels, OnnxRnnOperator op,
        IReadOnlyDictionary<string, NdArray> inputs, IReadOnlyDictionary<string, NdArray> upstream)
    {
        using var memory = CudaTrainingArena.Create(context, kernels, GpuMathMode.Fp32);
        return Run(memory, op, inputs, upstream);
    }

    internal static IReadOnlyDictionary<string, NdArray> Run(DeviceArena memory, OnnxRnnOperator op,
        IReadOnlyDictionary<string, NdArray> inputs, IReadOnlyDictionary<string, NdArray> upstream)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(upstream);
        var o = op.Options;
        bool lstm = o.Cell == RnnCellType.Lstm;
        bool batchMajor = op.Layout == SequenceLayout.BatchMajor;
        int steps = op.Steps, batch = op.Batch, dirs = o.DirectionCount, h = o.HiddenSize, inSize = o.InputSize;
        foreach (var key in upstream.Keys)
            if (!OnnxRnnTensors.OutputRoles.Contains(key) || (key == "Y_c" && !lstm))
                throw new ArgumentException($"no output '{key}' to take a gradient for ({o.Cell} outputs: {(lstm ? "Y, Y_h, Y_c" : "Y, Y_h")})");

        int[] yShape = batchMajor ? [batch, steps, dirs, h] : [steps, dirs, batch, h];
        int[] stateShape = batchMajor ? [batch, dirs, h] : [dirs, batch, h];
        float[] dY = [], dYh = [], dYc = [];
        if (upstream.TryGetValue("Y", out var gy))
            dY = YToEngine(Check("gradient of Y", gy, yShape).ToFloats(), batchMajor, steps, dirs, batch, h);
        if (upstream.TryGetValue("Y_h", out var gh))
            dYh = StateToEngine(Check("gradient of Y_h", gh, stateShape).ToFloats(), batchMajor, batch, dirs, h);
        if (upstream.TryGetValue("Y_c", out var gc))
            dYc = StateToEngine(Check("gradient of Y_c", gc, stateShape).ToFloats(), batchMajor, batch, dirs, h);

        var x = inputs["X"].ToFloats();
        if (batchMajor)
            x = SwapFirstTwo(x, batch, steps, inSize);
        int[] lengths = inputs.TryGetValue("sequence_lens", out var sl) ? sl.ToInt32s() : [];
        float[] h0 = inputs.TryGetValue("initial_h", out var ih) ? StateToEngine(ih.ToFloats(), batchMajor, batch, dirs, h) : [];
        float[] c0 = lstm && inputs.TryGetValue("initial_c", out var ic) ? StateToEngine(ic.ToFloats(), batchMajor, batch, dirs, h) : [];

        RnnLayerOptions[] layers = [o];
        var layout = new ParameterLayout(layers);
        var weights = new DeviceTrainingWeights(memory, layout);
        var stack = new GpuRnnStack(memory, layers, layout, weights.Parameters, weights.Gradients, steps, batch);
        weights.Upload([op.Weights.Convert<float>()]);
        weights.ZeroGradients();
        stack.Forward(x, steps, batch, lengths, h0, c0);
        stack.Backward(dY, dYh, dYc, inputGradient: true);

        var dx = new float[x.Length];
        stack.ReadInputGradient(dx);
        var grads = weights.DownloadGradients()[0].Convert<double>();
        int g = o.GateCount;
        var w = new double[dirs * g * h * inSize];
        var r = new double[dirs * g * h * h];
        var b = new double[dirs * 2 * g * h];
        var p = new double[o.HasPeepholes ? dirs * 3 * h : 0];
        GateOrder.ToOnnx(grads, w, r, b, p);

        var result = new Dictionary<string, NdArray>(StringComparer.Ordinal)
        {
            ["X"] = new NdArray(batchMajor ? SwapFirstTwo(dx, steps, batch, inSize) : dx, inputs["X"].Shape),
            ["W"] = new NdArray(ToFloats(w), inputs["W"].Shape),
            ["R"] = new NdArray(ToFloats(r), inputs["R"].Shape),
        };
        if (inputs.TryGetValue("B", out var bias))
            result["B"] = new NdArray(ToFloats(b), bias.Shape);
        if (ih is not null)
        {
            var dh0 = new float[dirs * batch * h];
            stack.ReadH0Gradient(dh0);
            result["initial_h"] = new NdArray(batchMajor ? SwapFirstTwo(dh0, dirs, batch, h) : dh0, ih.Shape);
        }
        if (lstm && inputs.TryGetValue("initial_c", out var icShape))
        {
            var dc0 = new float[dirs * batch * h];
            stack.ReadC0Gradient(dc0);
            result["initial_c"] = new NdArray(batchMajor ? SwapFirstTwo(dc0, dirs, batch, h) : dc0, icShape.Shape);
        }
        if (inputs.TryGetValue("P", out var peep))
            result["P"] = new NdArray(ToFloats(p), peep.Shape);
        return result;
    }

    private static NdArray Check(string name, NdArray t, int[] shape)
    {
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{name}: expected float32, got {t.DType.ToString().ToLowerInvariant()}");
        if (!t.Shape.SequenceEqual(shape))
            throw new ArgumentException($"{name}: expected shape {NdArray.FormatShape(shape)}, got {NdArray.FormatShape(t.Shape)}");
        return t;
    }

    // ONNX Y [T, D, B, H] (or [B, T, D, H]) -> engine [T, B, D, H].
    private static float[] YToEngine(float[] y, bool batchMajor, int steps, int dirs, int batch, int h)
    {
        var result = new float[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < dirs; d++)
                for (int b = 0; b < batch; b++)
                {
                    int from = batchMajor ? ((b * steps + t) * dirs + d) * h : ((t * dirs + d) * batch + b) * h;
                    Array.Copy(y, from, result, ((t * batch + b) * dirs + d) * h, h);
                }
        return result;
    }

    private static float[] StateToEngine(float[] state, bool batchMajor, int batch, int dirs, int h) =>
        batchMajor ? SwapFirstTwo(state, batch, dirs, h) : state;

    /// <summary>[A, B, C] -> [B, A, C] (row-major).</summary>
    private static float[] SwapFirstTwo(float[] v, int a, int b, int c)
    {
        var result = new float[v.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                Array.Copy(v, (i * b + j) * c, result, (j * a + i) * c, c);
        return result;
    }

    private static float[] ToFloats(double[] v) => Array.ConvertAll(v, x => (float)x);
}
