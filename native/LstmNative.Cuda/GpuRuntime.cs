using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>
/// Answers "is a usable GPU here, and if not, why" without throwing. The checks run in the order a user would fix
/// them: kernels compiled, driver library, driver initialisation, a device of compute capability 8.0+, the
/// kernels load on it, cuBLAS. The first failure is the reason; the later facts are still gathered for reports.
/// </summary>
public static class GpuRuntime
{
    private static readonly Lazy<GpuProbeResult> Cached = new(Probe);

    /// <summary>The probe's result, computed once per process.</summary>
    public static GpuProbeResult Current => Cached.Value;

    /// <summary>Runs the probe now (costs a context creation when a GPU is present: tens of milliseconds).</summary>
    public static GpuProbeResult Probe() => ProbeWith(EmbeddedKernels.Image);

    /// <summary>The probe with a given kernel image (null: as if the build had no nvcc).</summary>
    internal static unsafe GpuProbeResult ProbeWith(byte[]? kernels)
    {
        string? failure = null;
        void Fail(string reason) => failure ??= reason;
        var devices = new List<GpuDeviceInfo>();
        int? driverVersion = null;
        string? cublasVersion = null;
        long? cudnnVersion = null;
        string? cudnnProblem = null;

        GpuProbeResult Result() => new(
            failure, kernels is not null, devices, driverVersion, NativeLibraryResolver.LoadedFrom(CudaLibrary.Driver),
            cublasVersion, NativeLibraryResolver.LoadedFrom(CudaLibrary.Cublas), cudnnVersion,
            NativeLibraryResolver.LoadedFrom(CudaLibrary.Cudnn), cudnnProblem);

        try
        {
            if (kernels is null)
                Fail(EmbeddedKernels.NotCompiledReason);
            ProbeDriver(kernels, devices, Fail, out driverVersion);
        }
        catch (Exception e)
        {
            Fail($"the GPU probe failed: {e.GetType().Name}: {e.Message}");
        }

        // The libraries are looked for even without a GPU: a report then says all that is missing at once.
        try
        {
            if (NativeLibraryResolver.TryLoad(CudaLibrary.Cublas, out _, out var blasAttempts))
                cublasVersion = CublasHandle.LibraryVersion();
            else
                Fail("cuBLAS not found: " + NativeLibraryResolver.FormatFailure(CudaLibrary.Cublas, blasAttempts));
        }
        catch (Exception e)
        {
            Fail($"cuBLAS is unusable: {e.GetType().Name}: {e.Message}");
        }
        try
        {
            if (NativeLibraryResolver.TryLoad(CudaLibrary.Cudnn, out _, out var dnnAttempts))
                cudnnVersion = CudnnHandle.LibraryVersion();
            else
                cudnnProblem = NativeLibraryResolver.FormatFailure(CudaLibrary.Cudnn, dnnAttempts);
        }
        catch (Exception e)
        {
            cudnnProblem = $"cuDNN is unusable: {e.GetType().Name}: {e.Message}";
        }
        return Result();
    }

    /// <summary>Driver, devices, and whether the kernels load on the first supported device.</summary>
    private static unsafe void ProbeDriver(byte[]? kernels, List<GpuDeviceInfo> devices, Action<string> fail, out int? driverVersion)
    {
        driverVersion = null;
        if (!NativeLibraryResolver.TryLoad(CudaLibrary.Driver, out _, out var attempts))
        {
            fail("no NVIDIA driver: " + NativeLibraryResolver.FormatFailure(CudaLibrary.Driver, attempts));
            return;
        }

        var init = CudaDriver.cuInit(0);
        int version;
        if (CudaDriver.cuDriverGetVersion(&version) == CUresult.Success)
            driverVersion = version;
        if (init != CUresult.Success)
        {
            var (name, text) = CudaErrorTable.Describe((int)init);
            fail($"the NVIDIA driver found no usable GPU: cuInit failed with {name} ({(int)init}): {text}" +
                 (init == CUresult.NoDevice ? " (no GPU on this machine, or none visible to this process/container)" : ""));
            return;
        }

        int count;
        Check.Driver(CudaDriver.cuDeviceGetCount(&count));
        for (var ordinal = 0; ordinal < count; ordinal++)
            devices.Add(GpuDeviceInfo.Query(ordinal));
        var device = devices.FirstOrDefault(d => d.IsSupported);
        if (count == 0)
            fail("the NVIDIA driver reports no CUDA device");
        else if (device is null)
            fail($"no device of compute capability 8.0 or newer (the kernels target sm_80+): {string.Join("; ", devices)}");
        else if (kernels is not null)
            CheckKernelsLoad(device, kernels, fail);
    }

    /// <summary>Loads the fatbin on <paramref name="device"/> and unloads it again, leaving the thread's context as it was.</summary>
    private static unsafe void CheckKernelsLoad(GpuDeviceInfo device, byte[] kernels, Action<string> fail)
    {
        nint previous;
        CudaDriver.cuCtxGetCurrent(&previous);
        int handle;
        Check.Driver(CudaDriver.cuDeviceGet(&handle, device.Ordinal));
        nint context;
        Check.Driver(CudaDriver.cuDevicePrimaryCtxRetain(&context, handle));
        try
        {
            Check.Driver(CudaDriver.cuCtxSetCurrent(context));
            nint module;
            CUresult loaded;
            fixed (byte* image = kernels)
                loaded = CudaDriver.cuModuleLoadData(&module, image);
            if (loaded == CUresult.Success)
            {
                CudaDriver.cuModuleUnload(module);
            }
            else
            {
                var (name, text) = CudaErrorTable.Describe((int)loaded);
                fail($"the embedded kernels do not load on {device}: {name}: {text}");
            }
        }
        finally
        {
            CudaDriver.cuCtxSetCurrent(previous);
            CudaDriver.cuDevicePrimaryCtxRelease_v2(handle);
        }
    }
}
