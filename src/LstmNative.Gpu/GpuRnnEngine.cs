using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Model;

namespace LstmNative.Gpu;

/// <summary>
/// The GPU LSTM/GRU engine of one device: the CUDA context, the embedded kernels and the device's limits. Load models
/// with <see cref="LoadModel"/>, run them through sessions (<see cref="GpuRnnModel.CreateSession"/>).
/// Use one engine per device per process: persistent kernels of its sessions are serialised through it.
/// </summary>
public sealed class GpuRnnEngine : IDisposable
{
    private readonly CudaContext _context;
    private readonly CudaModule _module;
    private readonly CudaInferenceBackend _backend;
    private bool _disposed;

    private GpuRnnEngine(CudaContext context, CudaModule module, DeviceLimits limits)
    {
        _context = context;
        _module = module;
        _backend = new CudaInferenceBackend(context, module, limits);
    }

    /// <summary>The device.</summary>
    public GpuDeviceInfo Device => _context.Device;

    /// <summary>The device's limits, as the algorithm heuristic sees them.</summary>
    public DeviceLimits Limits => _backend.Limits;

    /// <summary>The CUDA context (the device's primary context).</summary>
    public CudaContext Context => _context;

    /// <summary>
    /// Creates the engine on device <paramref name="ordinal"/>: binds its primary context to the calling thread and
    /// loads the embedded kernels.
    /// </summary>
    /// <exception cref="InvalidOperationException">No usable GPU (the probe's reason), or the build had no kernels.</exception>
    public static GpuRnnEngine Create(int ordinal = 0)
    {
        var probe = GpuRuntime.Current;
        if (!probe.IsAvailable)
            throw new InvalidOperationException($"no usable GPU: {probe.Reason}");
        var context = CudaContext.Create(ordinal);
        try
        {
            var module = context.LoadEmbeddedKernels();
            try
            {
                var limits = CudaInferenceBackend.ReadLimits(context, module);
                return new GpuRnnEngine(context, module, limits);
            }
            catch
            {
                module.Dispose();
                throw;
            }
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Uploads <paramref name="layers"/> (copied; later changes are not seen) for inference.</summary>
    /// <param name="layers">The stack, first layer first; layer l+1's input size is layer l's D·H.</param>
    /// <param name="options">Algorithm, precision, graphs, layout (defaults when null).</param>
    public GpuRnnModel LoadModel(IReadOnlyList<LayerWeights<float>> layers, GpuInferenceOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new GpuRnnModel(_backend, layers, options ?? GpuInferenceOptions.Default);
    }

    /// <summary>Releases the kernels and the context (models and sessions must be disposed first).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _context.MakeCurrent();
        _backend.Dispose();
        _module.Dispose();
        _context.Dispose();
    }
}
