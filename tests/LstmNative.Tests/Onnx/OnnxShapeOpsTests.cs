using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;

namespace LstmNative.Tests.Onnx;

/// <summary>The shape operators of the graph runner, against values worked out by hand from the ONNX operator spec.</summary>
public class OnnxShapeOpsTests
{
    private static NdArray Iota(params int[] shape) =>
        new(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(v => (float)v).ToArray(), shape);

    [Test]
    public void TransposeMovesAxes()
    {
        var t = OnnxShapeOps.Transpose(Iota(2, 3), null);
        Assert.That(t.Shape, Is.EqualTo(new[] { 3, 2 }));
        Assert.That(t.ToFloats(), Is.EqualTo(new float[] { 0, 3, 1, 4, 2, 5 }));
        var u = OnnxShapeOps.Transpose(Iota(2, 1, 2, 2), [0, 2, 1, 3]);
        Assert.That(u.Shape, Is.EqualTo(new[] { 2, 2, 1, 2 }));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Transpose(Iota(2, 3), [0, 4294967296]));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Transpose(Iota(2, 3), [0, 0]));
    }

    [Test]
    public void SliceFollowsOnnxClampingAndSteps()
    {
        var x = Iota(10);
        Assert.That(OnnxShapeOps.Slice(x, [-1], [long.MinValue], null, [-1]).ToFloats(), Is.EqualTo(Enumerable.Range(0, 10).Reverse().Select(v => (float)v)));
        Assert.That(OnnxShapeOps.Slice(x, [1], [long.MaxValue], [0], [3]).ToFloats(), Is.EqualTo(new float[] { 1, 4, 7 }));
        Assert.That(OnnxShapeOps.Slice(x, [8], [2], null, null).Shape, Is.EqualTo(new[] { 0 }));
        Assert.That(OnnxShapeOps.Slice(x, [0], [10], null, [long.MaxValue]).ToFloats(), Is.EqualTo(new float[] { 0 }));
        var m = OnnxShapeOps.Slice(Iota(4, 2, 3), [2], [4], [0], null);
        Assert.That(m.Shape, Is.EqualTo(new[] { 2, 2, 3 }));
        Assert.That(m.ToFloats()[0], Is.EqualTo(12f));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Slice(x, [0], [1], null, [0]));
    }

    [Test]
    public void GatherConcatSqueezeUnsqueezeReshapeShape()
    {
        var shape = OnnxShapeOps.Shape(Iota(5, 3, 2), null, null);
        Assert.That(shape.Data, Is.EqualTo(new long[] { 5, 3, 2 }));
        Assert.That(OnnxShapeOps.Shape(Iota(5, 3, 2), -2, null).Data, Is.EqualTo(new long[] { 3, 2 }));
        var batch = OnnxShapeOps.Gather(shape, new NdArray(new long[] { -2 }, []), 0);
        Assert.That(batch.Shape, Is.Empty);
        Assert.That(batch.Data, Is.EqualTo(new long[] { 3 }));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Gather(shape, new NdArray(new long[] { 3 }, []), 0));
        var rows = OnnxShapeOps.Gather(Iota(3, 2), new NdArray(new[] { 2, 0 }, [2]), 0);
        Assert.That(rows.ToFloats(), Is.EqualTo(new float[] { 4, 5, 0, 1 }));

        var v = OnnxShapeOps.Unsqueeze(batch, [0]);
        Assert.That(v.Shape, Is.EqualTo(new[] { 1 }));
        var target = OnnxShapeOps.Concat([new NdArray(new long[] { 4 }, [1]), v, new NdArray(new long[] { 8 }, [1])], 0);
        Assert.That(target.Data, Is.EqualTo(new long[] { 4, 3, 8 }));
        var zeros = OnnxShapeOps.ConstantOfShape(target, NdArray.FromFloats([0.5f], 1));
        Assert.That(zeros.Shape, Is.EqualTo(new[] { 4, 3, 8 }));
        Assert.That(zeros.ToFloats().Distinct(), Is.EqualTo(new[] { 0.5f }));

        var c = OnnxShapeOps.Concat([Iota(2, 1), Iota(2, 2)], -1);
        Assert.That(c.ToFloats(), Is.EqualTo(new float[] { 0, 0, 1, 1, 2, 3 }));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Concat([Iota(2, 1), Iota(3, 1)], 1));

        Assert.That(OnnxShapeOps.Squeeze(Iota(3, 1, 2, 1), null).Shape, Is.EqualTo(new[] { 3, 2 }));
        Assert.That(OnnxShapeOps.Squeeze(Iota(3, 1, 2, 1), [-1]).Shape, Is.EqualTo(new[] { 3, 1, 2 }));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Squeeze(Iota(3, 2), [0]));
        Assert.That(OnnxShapeOps.Unsqueeze(Iota(3, 2), [-1, 0]).Shape, Is.EqualTo(new[] { 1, 3, 2, 1 }));

        Assert.That(OnnxShapeOps.Reshape(Iota(5, 2, 3, 4), [0, 0, -1], false).Shape, Is.EqualTo(new[] { 5, 2, 12 }));
        Assert.That(OnnxShapeOps.Reshape(Iota(2, 0), [0, 5], true).Shape, Is.EqualTo(new[] { 0, 5 }));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Reshape(Iota(5), [-1, -1], false));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.Reshape(Iota(5), [2, -1], false));
        Assert.Throws<ArgumentException>(() => OnnxShapeOps.ConstantOfShape(new NdArray(new long[] { int.MaxValue, int.MaxValue }, [2]), NdArray.FromFloats([0], 1)));
    }
}
