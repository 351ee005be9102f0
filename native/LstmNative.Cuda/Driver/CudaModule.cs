using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>A loaded module (cubin, fatbin or PTX): the kernels of one image.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly DriverHandle _handle;
    private readonly Dictionary<string, CudaKernel> _kernels = new(StringComparer.Ordinal);

    /// <summary>Loads <paramref name="image"/> into <paramref name="context"/> (which must be current).</summary>
    /// <exception cref="CudaException">E.g. CUDA_ERROR_NO_BINARY_FOR_GPU when the image has no code for this device.</exception>
    public CudaModule(CudaContext context, ReadOnlySpan<byte> image)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (image.IsEmpty)
            throw new ArgumentException("the module image is empty", nameof(image));
        _handle = new DriverHandle(context.Handle, DriverHandleKind.Module);
        // PTX images must be NUL-terminated; a copy with a trailing zero serves every image kind.
        var terminated = new byte[image.Length + 1];
        image.CopyTo(terminated);
        nint module;
        fixed (byte* p = terminated)
            Check.Driver(CudaDriver.cuModuleLoadData(&module, p), $"{image.Length}-byte image on {context.Device.Name} (sm_{context.Device.ComputeCapabilityMajor}{context.Device.ComputeCapabilityMinor})");
        _handle.Adopt(module);
    }

    internal nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>The kernel named <paramref name="name"/> (an <c>extern "C"</c> name); looked up once, then cached.</summary>
    /// <exception cref="CudaException">CUDA_ERROR_NOT_FOUND when the module has no such kernel.</exception>
    public CudaKernel GetKernel(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_kernels)
        {
            if (_kernels.TryGetValue(name, out var cached))
                return cached;
            Span<byte> utf8 = stackalloc byte[512];
            if (!Utf8.TryWriteZ(name, utf8))
                throw new ArgumentException("kernel name too long", nameof(name));
            nint function;
            fixed (byte* p = utf8)
                Check.Driver(CudaDriver.cuModuleGetFunction(&function, Handle, p), $"kernel '{name}'");
            var kernel = new CudaKernel(this, name, function);
            _kernels[name] = kernel;
            return kernel;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
