using LstmNative.Cpu;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>Makes the small test problems split their recurrence across workers, which production sizes would not.</summary>
[SetUpFixture]
public class CpuSetUp
{
    private long _saved;

    [OneTimeSetUp]
    public void SplitEveryStep()
    {
        _saved = LayerExecutor.MinParallelStepWork;
        LayerExecutor.MinParallelStepWork = 0;
    }

    [OneTimeTearDown]
    public void Restore() => LayerExecutor.MinParallelStepWork = _saved;
}
