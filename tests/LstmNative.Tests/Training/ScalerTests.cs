using LstmNative.Training.Data;
using NUnit.Framework;

namespace LstmNative.Tests.Training;

public class ScalerTests
{
    private static NumericTable RandomTable(Random rng, int rows, int columns)
    {
        var data = new double[rows * columns];
        for (int i = 0; i < data.Length; i++)
            data[i] = (rng.NextDouble() - 0.3) * 100 * (1 + i % columns);
        return new NumericTable(Enumerable.Range(0, columns).Select(c => $"c{c}").ToArray(), data);
    }

    private static IEnumerable<FeatureScaler> Scalers() => [new StandardScaler(), new MinMaxScaler(), new MinMaxScaler(-1, 1)];

    [TestCaseSource(nameof(Scalers))]
    public void InverseTransformRoundTrips(FeatureScaler scaler)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var table = RandomTable(rng, rng.Next(2, 30), rng.Next(1, 5));
        scaler.Fit(table);
        var back = scaler.InverseTransform(scaler.Transform(table));
        Assert.That(back.Data, Is.EqualTo(table.Data).Within(1e-12));
    }

    [Test]
    public void StandardScalerStandardizesTheTrainingData()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var table = RandomTable(rng, 50, 3);
        var scaler = new StandardScaler();
        scaler.Fit(table);
        var scaled = scaler.Transform(table);
        for (int c = 0; c < 3; c++)
        {
            var column = scaled.Column(c);
            double mean = column.Average();
            Assert.That(mean, Is.EqualTo(0).Within(1e-12));
            Assert.That(column.Select(v => (v - mean) * (v - mean)).Average(), Is.EqualTo(1).Within(1e-12));
        }
    }

    [Test]
    public void FitUsesTrainingRowsOnly()
    {
        // One column 0..9: train is 0..6, the later rows 7..9 lie beyond the training range.
        var table = new NumericTable(["x"], Enumerable.Range(0, 10).Select(i => (double)i).ToArray());
        var (train, validation, test) = ChronologicalSplit.Split(table, 0.7, 0.1);
        var minMax = new MinMaxScaler();
        minMax.Fit(train);
        var standard = new StandardScaler();
        standard.Fit(train);
        Assert.Multiple(() =>
        {
            Assert.That(minMax.DataMax, Is.EqualTo(new[] { 6.0 }));
            Assert.That(minMax.Transform(test).Data, Is.EqualTo(new[] { 8.0 / 6, 9.0 / 6 }).Within(1e-15));
            Assert.That(minMax.Transform(validation).Data, Is.EqualTo(new[] { 7.0 / 6 }).Within(1e-15));
            Assert.That(standard.Mean, Is.EqualTo(new[] { 3.0 }));
            Assert.That(standard.StandardDeviation, Is.EqualTo(new[] { 2.0 }).Within(1e-15));
            Assert.That(standard.Transform(test).Data, Is.EqualTo(new[] { 2.5, 3.0 }).Within(1e-15));
        });
    }

    [Test]
    public void InverseTransformOfOneFeatureUnscalesPredictions()
    {
        var table = new NumericTable(["a", "target"], [1, 10, 2, 20, 3, 40]);
        var scaler = new MinMaxScaler();
        scaler.Fit(table);
        double[] predictions = [0.0, 0.5, 1.0];
        scaler.InverseTransformFeature(predictions, 1);
        Assert.That(predictions, Is.EqualTo(new[] { 10.0, 25.0, 40.0 }).Within(1e-12));
        scaler.TransformFeature(predictions, 1);
        Assert.That(predictions, Is.EqualTo(new[] { 0.0, 0.5, 1.0 }).Within(1e-15));
    }

    [Test]
    public void ConstantFeaturesAndMisuse()
    {
        var table = new NumericTable(["k"], [5, 5, 5]);
        var standard = new StandardScaler();
        standard.Fit(table);
        var minMax = new MinMaxScaler();
        minMax.Fit(table);
        Assert.Multiple(() =>
        {
            Assert.That(standard.Transform(table).Data, Is.All.EqualTo(0.0));
            Assert.That(minMax.Transform(table).Data, Is.All.EqualTo(0.0));
            Assert.Throws<InvalidOperationException>(() => new StandardScaler().Transform(table));
            Assert.Throws<ArgumentException>(() => new StandardScaler().Fit([1.0, double.NaN], 1));
            Assert.Throws<ArgumentException>(() => standard.Transform(new NumericTable(["a", "b"], [1, 2])));
        });
    }
}
