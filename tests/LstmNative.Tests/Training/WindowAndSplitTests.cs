using LstmNative.Training;
using LstmNative.Training.Data;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

public class WindowAndSplitTests
{
    // Value 100 * row + column: every number says where it came from.
    private static NumericTable Table(int rows, int columns) =>
        new(Enumerable.Range(0, columns).Select(c => $"c{c}").ToArray(),
            Enumerable.Range(0, rows * columns).Select(i => 100.0 * (i / columns) + i % columns).ToArray());

    [Test]
    public void WindowsTakeExactRows()
    {
        // 12 rows, window 3, horizon 2, stride 2: starts 0, 2, 4, 6 (6 + 3 + 2 = 11 <= 12; 8 + 5 = 13 > 12).
        var ds = new SlidingWindowDataset(Table(12, 3), window: 3, horizon: 2, targetColumns: ["c2"], inputColumns: ["c0", "c1"], stride: 2);
        Assert.That(ds.Count, Is.EqualTo(4));
        Assert.That(Enumerable.Range(0, 4).Select(ds.SampleStart), Is.EqualTo(new[] { 0, 2, 4, 6 }));
        var x = new Tensor<double>(2, 3, 2);
        var y = new Tensor<double>(2, 2);
        ds.Fill<double>([3, 1], x, y);
        Assert.Multiple(() =>
        {
            Assert.That(x.Data, Is.EqualTo(new double[] { 600, 601, 700, 701, 800, 801, 200, 201, 300, 301, 400, 401 }));
            Assert.That(y.Data, Is.EqualTo(new double[] { 902, 1002, 502, 602 }));
        });
    }

    [Test]
    public void SeveralTargetColumnsGiveHorizonByK()
    {
        var ds = new SlidingWindowDataset(Table(5, 3), window: 2, horizon: 2, targetColumns: ["c2", "c0"]);
        Assert.That(ds.Count, Is.EqualTo(2));
        var batch = ds.Batches<float>(8).Single();
        Assert.Multiple(() =>
        {
            Assert.That(batch.Inputs.Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));
            Assert.That(batch.Targets.Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 2 }));
            Assert.That(batch.Targets.Data, Is.EqualTo(new float[] { 202, 200, 302, 300, 302, 300, 402, 400 }));
        });
    }

    [Test]
    public void TooShortSeriesHasNoSamples() =>
        Assert.That(new SlidingWindowDataset(Table(4, 1), window: 3, horizon: 2, targetColumns: ["c0"]).Count, Is.Zero);

    [Test]
    public void BatchesCoverEverySampleOnceInSeededOrder()
    {
        int seed = TestContext.CurrentContext.Random.Next();
        var ds = new SlidingWindowDataset(Table(30, 2), window: 4, horizon: 1, targetColumns: ["c1"]);
        Assert.That(ds.Count, Is.EqualTo(26));
        List<int> Epoch(int s) => ds.Batches<double>(8, new Random(s)).SelectMany(b => b.Samples.ToArray()).ToList();
        var first = Epoch(seed);
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EquivalentTo(Enumerable.Range(0, 26)));
            Assert.That(first, Is.Not.EqualTo(Enumerable.Range(0, 26)));
            Assert.That(Epoch(seed), Is.EqualTo(first));
        });
        var sizes = ds.Batches<double>(8, new Random(seed)).Select(b => b.Inputs.Dim(0)).ToArray();
        Assert.That(sizes, Is.EqualTo(new[] { 8, 8, 8, 2 }));
        Assert.That(ds.Batches<double>(8, dropLast: true).Count(), Is.EqualTo(3));
        foreach (var b in ds.Batches<double>(8, new Random(seed)))
            for (int n = 0; n < b.Samples.Length; n++)
                Assert.That(b.Inputs.Data[n * 4 * 2], Is.EqualTo(100.0 * b.Samples[n]), "each row holds its own sample");
    }

    [Test]
    public void ChronologicalSplitKeepsOrderAndAddsContext()
    {
        var s = ChronologicalSplit.Split(100, 0.7, 0.15);
        Assert.That(s, Is.EqualTo(new DataSplit(new RowRange(0, 70), new RowRange(70, 15), new RowRange(85, 15))));
        var c = ChronologicalSplit.Split(100, 0.7, 0.15, contextRows: 10);
        Assert.That(c, Is.EqualTo(new DataSplit(new RowRange(0, 70), new RowRange(60, 25), new RowRange(75, 25))));
        var (train, validation, test) = ChronologicalSplit.Split(Table(10, 1), 0.6, 0.2);
        Assert.Multiple(() =>
        {
            Assert.That(train.Data, Is.EqualTo(new double[] { 0, 100, 200, 300, 400, 500 }));
            Assert.That(validation.Data, Is.EqualTo(new double[] { 600, 700 }));
            Assert.That(test.Data, Is.EqualTo(new double[] { 800, 900 }));
            Assert.Throws<ArgumentException>(() => ChronologicalSplit.Split(10, 0.9, 0.2));
        });
    }
}
