using System.Globalization;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Conformance;

/// <summary>Compares an output with a golden tensor element by element and reports the worst element by name.</summary>
internal static class GoldenComparison
{
    /// <summary>
    /// Asserts equal shapes and |actual - expected| &lt;= tolerance everywhere (NaN fails). Writes the largest absolute
    /// error to the test output, so the margin a tolerance leaves is visible in passing runs too.
    /// </summary>
    public static void AssertClose(string what, NdArray actual, NdArray expected, Tolerance tolerance)
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), $"{what}: shape");
        if (!actual.Shape.SequenceEqual(expected.Shape))
            return;
        double[] a = actual.ToDoubles(), e = expected.ToDoubles();
        Assert.That(e, Is.Not.Empty, $"{what}: the golden tensor is empty, so it checks nothing");
        int worst = -1;
        double worstRatio = -1, maxAbs = 0;
        for (int k = 0; k < a.Length; k++)
        {
            double diff = Math.Abs(a[k] - e[k]);
            double ratio = diff / (tolerance.Absolute + tolerance.Relative * Math.Abs(e[k]));
            if (double.IsNaN(ratio) || ratio > worstRatio)
            {
                worstRatio = ratio;
                worst = k;
                if (double.IsNaN(ratio))
                    break;
            }
            maxAbs = Math.Max(maxAbs, diff);
        }
        TestContext.Out.WriteLine($"{what}: max |diff| {maxAbs:G3}, tolerance {tolerance}");
        Assert.That(worstRatio <= 1, Is.True,
            () => $"{what}: element {Index(worst, expected.Shape)} is {a[worst].ToString("R", CultureInfo.InvariantCulture)}, " +
                  $"expected {e[worst].ToString("R", CultureInfo.InvariantCulture)} (|diff| {Math.Abs(a[worst] - e[worst]):G3}); " +
                  $"tolerance {tolerance}");
    }

    /// <summary>A flat row-major offset as a multi-index, e.g. <c>[1, 0, 2]</c>.</summary>
    public static string Index(int flat, IReadOnlyList<int> shape)
    {
        var idx = new int[shape.Count];
        for (int d = shape.Count - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return NdArray.FormatShape(idx);
    }

    /// <summary>Permutes the axes of a row-major array: result axis k is source axis <paramref name="perm"/>[k].</summary>
    public static T[] Permute<T>(T[] data, IReadOnlyList<int> shape, IReadOnlyList<int> perm)
    {
        int rank = shape.Count;
        var srcStrides = new int[rank];
        for (int d = rank - 1, s = 1; d >= 0; s *= shape[d], d--)
            srcStrides[d] = s;
        var dstShape = perm.Select(p => shape[p]).ToArray();
        var result = new T[data.Length];
        var idx = new int[rank]; // index into the result
        for (int k = 0; k < data.Length; k++)
        {
            int src = 0;
            for (int d = 0; d < rank; d++)
                src += idx[d] * srcStrides[perm[d]];
            result[k] = data[src];
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++idx[d] < dstShape[d])
                    break;
                idx[d] = 0;
            }
        }
        return result;
    }
}
