using System.Runtime.InteropServices;
using LstmNative.Model;

namespace LstmNative.Tests.Formats;

/// <summary>Random arrays and raw byte views for the format tests.</summary>
internal static class FormatTestData
{
    /// <summary>An array of random bit patterns (NaN payloads and all), so round trips are checked bit for bit.</summary>
    public static NdArray RandomArray(Random rng, DType type, int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        Array data = type switch
        {
            DType.Float32 => new float[count],
            DType.Float64 => new double[count],
            DType.Int32 => new int[count],
            _ => new long[count],
        };
        rng.NextBytes(Bytes(data));
        return new NdArray(data, shape);
    }

    /// <summary>Uniform float32 values in [-scale, scale]: numbers an RNN can run on (unlike <see cref="RandomArray"/>).</summary>
    public static NdArray UniformFloats(Random rng, int[] shape, double scale = 1)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var data = new float[count];
        for (int i = 0; i < count; i++)
            data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return new NdArray(data, shape);
    }

    /// <summary>A random shape of the given rank with dimensions 1..4.</summary>
    public static int[] RandomShape(Random rng, int rank) => Enumerable.Range(0, rank).Select(_ => rng.Next(1, 5)).ToArray();

    /// <summary>The elements' bytes (a view).</summary>
    public static Span<byte> Bytes(Array data) => data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
        _ => throw new ArgumentException("unsupported element type"),
    };

    /// <summary>A fresh generator seeded from NUnit's per-test random (the seed is in the test log on failure).</summary>
    public static Random Rng() => new(NUnit.Framework.TestContext.CurrentContext.Random.Next());
}
