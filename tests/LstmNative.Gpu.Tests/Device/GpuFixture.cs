using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>
/// Base of the tests that need a GPU. Without a usable GPU every test of the fixture is skipped with the probe's
/// reason (visible in the console and in the TRX report); with one, each fixture gets the primary context and the
/// embedded kernels.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public abstract class GpuFixture
{
    private CudaContext? _context;
    private CudaModule? _module;

    protected CudaContext Context => _context ?? throw new InvalidOperationException("no GPU context");

    protected CudaModule Kernels => _module ?? throw new InvalidOperationException("no kernels module");

    [OneTimeSetUp]
    public void RequireGpu() => (_context, _module) = OpenOrIgnore(GetType());

    /// <summary>
    /// The primary context and the embedded kernels, or the fixture is ignored with the probe's reason (also written
    /// to the console, so a CPU-only run says why its GPU tests did not run).
    /// </summary>
    internal static (CudaContext Context, CudaModule Kernels) OpenOrIgnore(Type fixture)
    {
        var probe = GpuRuntime.Current;
        if (!probe.IsAvailable)
        {
            TestContext.Progress.WriteLine($"[Gpu] {fixture.Name} skipped: {probe.Reason}");
            Assert.Ignore($"No usable GPU: {probe.Reason}");
        }
        var context = CudaContext.Create();
        return (context, context.LoadEmbeddedKernels());
    }

    [SetUp]
    public void BindContext() => Context.MakeCurrent(); // NUnit may run a fixture's tests on another thread than its setup

    [OneTimeTearDown]
    public void Release()
    {
        _module?.Dispose();
        _context?.Dispose();
    }

    protected static float[] RandomFloats(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    protected static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, float tolerance, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), what);
        var worst = 0f;
        var at = -1;
        for (var i = 0; i < actual.Length; i++)
        {
            var error = MathF.Abs(actual[i] - expected[i]) / MathF.Max(1f, MathF.Abs(expected[i]));
            if (!(error <= worst))
            {
                worst = float.IsNaN(error) ? float.PositiveInfinity : error;
                at = i;
            }
        }
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{what}: worst error {worst} at {at} (got {(at >= 0 ? actual[at] : 0)}, expected {(at >= 0 ? expected[at] : 0)})");
    }
}
