using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests;

public class GateOrderTests
{
    [TestCase(RnnCellType.Lstm)]
    [TestCase(RnnCellType.Gru)]
    public void OnnxRoundTripIsExact(RnnCellType cell)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var o = new RnnLayerOptions(cell, 3, 5, RnnDirection.Bidirectional) { HasPeepholes = cell == RnnCellType.Lstm };
        int g = o.GateCount;
        double[] w = Enumerable.Range(0, 2 * g * 5 * 3).Select(_ => rng.NextDouble()).ToArray();
        double[] r = Enumerable.Range(0, 2 * g * 5 * 5).Select(_ => rng.NextDouble()).ToArray();
        double[] b = Enumerable.Range(0, 2 * 2 * g * 5).Select(_ => rng.NextDouble()).ToArray();
        double[] p = cell == RnnCellType.Lstm ? Enumerable.Range(0, 2 * 15).Select(_ => rng.NextDouble()).ToArray() : [];
        var weights = GateOrder.FromOnnx<double>(o, w, r, b, p);
        var w2 = new double[w.Length]; var r2 = new double[r.Length]; var b2 = new double[b.Length]; var p2 = new double[p.Length];
        GateOrder.ToOnnx(weights, w2, r2, b2, p2);
        Assert.Multiple(() =>
        {
            Assert.That(w2, Is.EqualTo(w));
            Assert.That(r2, Is.EqualTo(r));
            Assert.That(b2, Is.EqualTo(b));
            Assert.That(p2, Is.EqualTo(p));
        });
    }

    [Test]
    public void OnnxLstmForgetBlockLandsInInternalSlotOne()
    {
        // ONNX order i, o, f, c: block 2 is the forget gate; internal order i, f, g, o puts it at block 1.
        var o = new RnnLayerOptions(RnnCellType.Lstm, 1, 1);
        var weights = GateOrder.FromOnnx<double>(o, [10, 20, 30, 40], [0, 0, 0, 0], [], []);
        Assert.That(weights.Directions[0].W, Is.EqualTo(new double[] { 10, 30, 40, 20 }));
    }
}
