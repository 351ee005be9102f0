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

    [Test]
    public void KerasLstmKernelIsTransposedAndKeepsIfcoOrder()
    {
        // Keras kernel [I=2, 4U] with U=1, columns i, f, c, o: internal W [4U, I] rows i, f, g, o.
        var o = new RnnLayerOptions(RnnCellType.Lstm, 2, 1);
        var weights = GateOrder.FromKeras<double>(o, [1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0], [11, 12, 13, 14]);
        Assert.Multiple(() =>
        {
            Assert.That(weights.Directions[0].W, Is.EqualTo(new double[] { 1, 5, 2, 6, 3, 7, 4, 8 }));
            Assert.That(weights.Directions[0].Bw, Is.EqualTo(new double[] { 11, 12, 13, 14 }));
            Assert.That(weights.Directions[0].Br, Is.EqualTo(new double[4]));
        });
    }

    [Test]
    public void KerasRecurrentKernelIsTransposed()
    {
        // recurrent_kernel [U=2, 4U=8], value = 8 * row + col; internal R[col, row] (row-major [4U, U]).
        var o = new RnnLayerOptions(RnnCellType.Lstm, 1, 2);
        double[] rk = Enumerable.Range(0, 16).Select(v => (double)v).ToArray();
        var weights = GateOrder.FromKeras<double>(o, new double[8], rk, []);
        Assert.That(weights.Directions[0].R.Take(6), Is.EqualTo(new double[] { 0, 8, 1, 9, 2, 10 }));
    }

    [Test]
    public void KerasGruZrhMapsToInternalRzn()
    {
        // Keras GRU columns z, r, h; reset_after bias [2, 3U]: input-side row then recurrent-side row.
        var o = new RnnLayerOptions(RnnCellType.Gru, 1, 1) { LinearBeforeReset = true };
        var weights = GateOrder.FromKeras<double>(o, [1, 2, 3], [4, 5, 6], [7, 8, 9, 10, 11, 12]);
        var d = weights.Directions[0];
        Assert.Multiple(() =>
        {
            Assert.That(d.W, Is.EqualTo(new double[] { 2, 1, 3 }));
            Assert.That(d.R, Is.EqualTo(new double[] { 5, 4, 6 }));
            Assert.That(d.Bw, Is.EqualTo(new double[] { 8, 7, 9 }));
            Assert.That(d.Br, Is.EqualTo(new double[] { 11, 10, 12 }));
        });
    }
}
