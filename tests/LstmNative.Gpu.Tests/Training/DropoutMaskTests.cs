using LstmNative.Gpu.Training;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

public class DropoutMaskTests
{
    [Test]
    public void KeepsAboutOneMinusPAndScales()
    {
        ulong seed = DropoutMask.LayerSeed(42, 0);
        const int n = 200_000;
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            float v = DropoutMask.Value(seed, i, 0.3);
            Assert.That(v is 0f || v == DropoutMask.Scale(0.3));
            if (v != 0)
                kept++;
        }
        Assert.That(kept / (double)n, Is.EqualTo(0.7).Within(0.01));
    }

    [Test]
    public void LayersAndSeedsGetDifferentMasksAndUniformsAreInRange()
    {
        ulong a = DropoutMask.LayerSeed(1, 0), b = DropoutMask.LayerSeed(1, 1), c = DropoutMask.LayerSeed(2, 0);
        Assert.Multiple(() =>
        {
            Assert.That(new[] { a, b, c }, Is.Unique);
            Assert.That(Enumerable.Range(0, 1000).Select(i => DropoutMask.Uniform(a, i)), Has.All.InRange(0f, 0.99999995f));
            Assert.That(DropoutMask.Value(a, 5, 1.0), Is.Zero);
            Assert.That(DropoutMask.Value(a, 5, 0.0), Is.EqualTo(1f));
        });
    }
}
