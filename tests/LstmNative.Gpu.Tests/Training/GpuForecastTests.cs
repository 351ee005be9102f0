using LstmNative.Cuda;
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

    private protected override ITrainingDevice NewDevice() =>
        new CudaTrainingDevice(_context ?? throw new InvalidOperationException("no GPU context"), _module!, GpuMathMode.Fp32);

    [OneTimeSetUp]
    public void RequireGpu()
    {
        var probe = GpuRuntime.Current;
        if (!probe.IsAvailable)
        {
            TestContext.Progress.WriteLine($"[Gpu] {GetType().Name} skipped: {probe.Reason}");
            Assert.Ignore($"No usable GPU: {probe.Reason}");
        }
        _context = CudaContext.Create();
        _module = _context.LoadEmbeddedKernels();
    }

    [SetUp]
    public void BindContext() => _context!.MakeCurrent();

    [OneTimeTearDown]
    public void Release()
    {
        _module?.Dispose();
        _context?.Dispose();
    }
}
