using LstmNative.Gpu.Tests.Emulation;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>
/// GpuRnnStack's orchestration (buffers, GEMM shapes and strides, step order, sequence lengths, directions, layers)
/// run on the CPU emulation of the training kernels against the reference: every output and gradient.
/// </summary>
public class EmulatedStackTests
{
    public static IEnumerable<string> CaseNames() => StackCases.All().Select(c => c.Name);

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesTheReference(string name)
    {
        var c = StackCases.All().Single(x => x.Name == name);
        using var device = new EmulatedBackend().CreateArena();
        StackCases.Check(device, c, 2e-5);
    }
}
