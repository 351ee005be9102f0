using LstmNative.Cpu;
using LstmNative.Engines;
using LstmNative.Model;
using NUnit.Framework;
using static LstmNative.Tests.Cpu.CpuTestSupport;

namespace LstmNative.Tests.Cpu;

/// <summary><see cref="CpuPackedLayerEngine"/>'s checks: a bad call is refused before it allocates or changes the cached session.</summary>
public class CpuPackedLayerEngineTests
{
    private static LayerWeights<float> Layer() =>
        new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Lstm, 3, 8)).Randomize(new Random(1), 0.3);

    [TestCase(1, -1, 3, "Expected batch size to be larger than 0, got -1")]
    [TestCase(-1, -1, 3, "Expected sequence length to be larger than 0 in RNN")]
    [TestCase(0, 1, 3, "Expected sequence length to be larger than 0 in RNN")]
    [TestCase(20_000, 16, 3, "input must hold [T=20000, B=16, I=3] = 960000 elements, got 3")]
    public void BadSizesAreRefusedBeforeAnythingIsAllocated(int steps, int batch, int xLength, string message)
    {
        var layer = Layer();
        using var engine = new CpuPackedLayerEngine(CpuPrecision.Int8);
        engine.Add(layer);
        var x = RandomFloats(new Random(2), 4 * 2 * 3, 1);
        var expected = engine.Forward(layer, x, 4, 2, [], [], []).Y;
        var bad = new float[xLength];
        // This thread's allocations only: the engine sizes its outputs and session on the caller's thread.
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentException>(() => engine.Forward(layer, bad, steps, batch, [], [], []));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(e!.Message, Is.EqualTo(message));
        // Unchecked, batch -1 overflowed new float[steps * state], and steps 20000 · batch 16 allocated the outputs
        // and a session for 20000 steps (~170 MB) before the session refused x.
        Assert.That(allocated, Is.LessThan(100_000), "bytes allocated before refusing");
        Assert.That(engine.Forward(layer, x, 4, 2, [], [], []).Y, Is.EqualTo(expected), "the engine still runs as before");
    }

    [Test]
    public void AnOutputBeyondAnArrayIsRefused()
    {
        // x of 2^20 floats is a valid input of a 1-feature layer, but Y [2^20, 2, 1, 1024] is 2^31 elements: the product
        // overflowed int (OverflowException from new float[negative]) before it was checked in wide arithmetic.
        var layer = new LayerWeights<float>(new RnnLayerOptions(RnnCellType.Gru, 1, 1024, RnnDirection.Bidirectional));
        using var engine = new CpuPackedLayerEngine(CpuPrecision.Fp32);
        engine.Add(layer);
        Assert.That(() => engine.Forward(layer, new float[1 << 20], 1 << 20, 1, [], [], []),
            Throws.ArgumentException.With.Message.EqualTo($"Y [T=1048576, D=2, B=1, H=1024] would hold 2147483648 elements, more than a .NET array allows ({Array.MaxLength})"));
    }

    [Test]
    public void StatesAndLengthsOfTheWrongSizeAreRefused()
    {
        var layer = Layer();
        using var engine = new CpuPackedLayerEngine(CpuPrecision.Fp32);
        engine.Add(layer);
        var x = new float[4 * 2 * 3];
        Assert.Multiple(() =>
        {
            Assert.That(() => engine.Forward(layer, x, 4, 2, [1], [], []), Throws.ArgumentException.With.Message.Contains("len(lengths)"));
            Assert.That(() => engine.Forward(layer, x, 4, 2, [1, 5], [], []), Throws.ArgumentException.With.Message.Contains("outside [0, 4]"));
            Assert.That(() => engine.Forward(layer, x, 4, 2, [], new float[15], []), Throws.ArgumentException.With.Message.Contains("got 15"));
            Assert.That(() => engine.Forward(layer, x, 4, 2, [], [], new float[17]), Throws.ArgumentException.With.Message.Contains("got 17"));
        });
    }
}
