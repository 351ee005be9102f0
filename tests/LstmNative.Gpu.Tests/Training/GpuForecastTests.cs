using LstmNative.Gpu.Device;
using LstmNative.Cuda;
using LstmNative.Gpu.Tests.Device;
using LstmNative.Gpu.Training;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>
/// The forecaster's accelerator on the GPU ([Category("Gpu")], skipped with the probe's reason without one): the
/// checks of <see cref="ForecastAcceleratorTests"/> against the CPU forecaster, on cuBLAS and our kernels.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class GpuForecastTests : ForecastAcceleratorTests
{
    private CudaContext? _context;
    private CudaModule? _module;

    protected override double Tolerance => 1e-4;

    private protected override DeviceArena NewDevice() =>
        CudaTrainingArena.Create(_context ?? throw new InvalidOperationException("no GPU context"), _module!, GpuMathMode.Fp32);

    [OneTimeSetUp]
    public void RequireGpu() => (_context, _module) = GpuFixture.OpenOrIgnore(GetType());

    [SetUp]
    public void BindContext() => _context!.MakeCurrent();

    [OneTimeTearDown]
    public void Release()
    {
        _module?.Dispose();
        _context?.Dispose();
    }
}
