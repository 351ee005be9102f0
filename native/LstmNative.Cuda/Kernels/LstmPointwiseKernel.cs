namespace LstmNative.Cuda.Kernels;

/// <summary>
/// Host side of kernels/lstm_pointwise.cu: one LSTM step after the GEMMs (bias, gate activations, cell update),
/// gates in internal order i, f, g, o. Checks the buffers against the shapes, then queues one launch.
/// </summary>
public sealed class LstmPointwiseKernel
{
    /// <summary>Looks the kernel up in <paramref name="module"/> (the embedded kernels).</summary>
    public LstmPointwiseKernel(CudaModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        Kernel = module.GetKernel(KernelNames.LstmPointwiseForward);
    }

    /// <summary>The underlying kernel (for attributes: registers, occupancy).</summary>
    public CudaKernel Kernel { get; }

    /// <summary>
    /// Queues <c>h, c, gates = pointwise(preact + bw + br, cPrev)</c> for a [batch, hidden] step on <paramref name="stream"/>.
    /// <paramref name="preact"/> and <paramref name="gates"/> are [batch, 4·hidden]; biases [4·hidden]; states [batch, hidden].
    /// <paramref name="c"/> may be the same buffer as <paramref name="cPrev"/>.
    /// </summary>
    public void Forward(
        CudaStream? stream, DeviceBuffer<float> preact, DeviceBuffer<float> bw, DeviceBuffer<float> br,
        DeviceBuffer<float> cPrev, DeviceBuffer<float> h, DeviceBuffer<float> c, DeviceBuffer<float> gates,
        int batch, int hidden, int threadsPerBlock = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        long state = (long)batch * hidden, gateCount = 4L * state;
        Require(preact, gateCount, nameof(preact));
        Require(gates, gateCount, nameof(gates));
        Require(bw, 4L * hidden, nameof(bw));
        Require(br, 4L * hidden, nameof(br));
        Require(cPrev, state, nameof(cPrev));
        Require(h, state, nameof(h));
        Require(c, state, nameof(c));
        Kernel.Launch(
            LaunchConfig.Linear(state, threadsPerBlock), stream,
            preact.Pointer, bw.Pointer, br.Pointer, cPrev.Pointer, h.Pointer, c.Pointer, gates.Pointer, batch, hidden);
    }

    private static void Require(DeviceBuffer<float> buffer, long elements, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (buffer.Length < elements)
            throw new ArgumentException($"{name} holds {buffer.Length} elements; the step needs {elements}.", name);
    }
}
