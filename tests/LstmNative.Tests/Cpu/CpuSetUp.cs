using LstmNative.Cpu;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>Makes the small test problems split their recurrence across workers, which production sizes would not.</summary>
[SetUpFixture]
public class CpuSetUp
{
    private long _savedStep, _savedRun;

    [OneTimeSetUp]
    public void SplitEveryStep()
    {
        (_savedStep, _savedRun) = (LayerExecutor.MinParallelStepWork, LayerExecutor.MinParallelRunWork);
        LayerExecutor.MinParallelStepWork = 0;
        LayerExecutor.MinParallelRunWork = 0;
    }

    [OneTimeTearDown]
    public void Restore() => (LayerExecutor.MinParallelStepWork, LayerExecutor.MinParallelRunWork) = (_savedStep, _savedRun);
}
