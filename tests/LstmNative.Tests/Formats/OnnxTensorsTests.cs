using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;
using NUnit.Framework;
using Onnx;

namespace LstmNative.Tests.Formats;

public class OnnxTensorsTests
{
    private static IEnumerable<TestCaseData> RoundTripCases() =>
        from type in Enum.GetValues<DType>()
        from rank in Enumerable.Range(0, 4)
        select new TestCaseData(type, rank);

    [TestCaseSource(nameof(RoundTripCases))]
    public void RawDataRoundTripKeepsNameShapeAndBits(DType type, int rank)
    {
        var rng = FormatTestData.Rng();
        var array = FormatTestData.RandomArray(rng, type, FormatTestData.RandomShape(rng, rank));
        string path = Path.Combine(Path.GetTempPath(), $"lstmnative-{Guid.NewGuid():N}.pb");
        try
        {
            OnnxTensors.WriteTensorProto(path, "t", array);
            var (name, back) = OnnxTensors.ReadTensorProto(path);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(name, Is.EqualTo("t"));
                Assert.That(back.DType, Is.EqualTo(type));
                Assert.That(back.Shape, Is.EqualTo(array.Shape));
                Assert.That(FormatTestData.Bytes(back.Data).ToArray(), Is.EqualTo(FormatTestData.Bytes(array.Data).ToArray()));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static TensorProto Tensor(TensorProto.Types.DataType type, params long[] dims)
    {
        var t = new TensorProto { Name = "t", DataType = (int)type };
        t.Dims.AddRange(dims);
        return t;
    }

    [Test]
    public void ReadsTypedDataFields()
    {
        var f = Tensor(TensorProto.Types.DataType.Float, 2, 2);
        f.FloatData.AddRange([1f, 2f, 3f, 4f]);
        var i = Tensor(TensorProto.Types.DataType.Int32, 3);
        i.Int32Data.AddRange([5, -6, 7]);
        var l = Tensor(TensorProto.Types.DataType.Int64);
        l.Int64Data.Add(long.MinValue);
        var d = Tensor(TensorProto.Types.DataType.Double, 1, 2);
        d.DoubleData.AddRange([0.5, -1e300]);
        using (Assert.EnterMultipleScope())
        {
            var fa = OnnxTensors.ReadTensorProto(f.ToByteArray(), "f.pb").Array;
            Assert.That(fa.Data, Is.EqualTo(new float[] { 1, 2, 3, 4 }));
            Assert.That(fa.Shape, Is.EqualTo(new[] { 2, 2 }));
            Assert.That(OnnxTensors.ReadTensorProto(i.ToByteArray(), "i.pb").Array.Data, Is.EqualTo(new[] { 5, -6, 7 }));
            var la = OnnxTensors.ReadTensorProto(l.ToByteArray(), "l.pb").Array;
            Assert.That(la.Data, Is.EqualTo(new[] { long.MinValue }));
            Assert.That(la.Rank, Is.Zero);
            Assert.That(OnnxTensors.ReadTensorProto(d.ToByteArray(), "d.pb").Array.Data, Is.EqualTo(new[] { 0.5, -1e300 }));
        }
    }

    [Test]
    public void EmptyTensorNeedsNoData()
    {
        var array = OnnxTensors.ToNdArray(Tensor(TensorProto.Types.DataType.Float, 0, 3), "e.pb");
        Assert.That(array.Shape, Is.EqualTo(new[] { 0, 3 }));
        Assert.That(array.Length, Is.Zero);
    }

    private static IEnumerable<TestCaseData> BrokenTensors()
    {
        TestCaseData Case(string name, Func<TensorProto> build, string fragment) => new TestCaseData(build, fragment).SetName("{m}(" + name + ")");
        TensorProto Raw(TensorProto.Types.DataType type, int bytes, params long[] dims)
        {
            var t = Tensor(type, dims);
            t.RawData = ByteString.CopyFrom(new byte[bytes]);
            return t;
        }
        yield return Case("short raw_data", () => Raw(TensorProto.Types.DataType.Float, 20, 2, 3), "tensor 't' of shape [2, 3] (1 (float)) needs 24 bytes of raw_data, found 20");
        yield return Case("long raw_data", () => Raw(TensorProto.Types.DataType.Double, 56, 2, 3), "needs 48 bytes of raw_data, found 56");
        yield return Case("huge dims", () => Raw(TensorProto.Types.DataType.Float, 4, 1 << 20, 1 << 20, 1 << 20), "needs 4611686018427387904 bytes of raw_data, found 4");
        yield return Case("dims overflowing 64 bits", () => Raw(TensorProto.Types.DataType.Double, 8, int.MaxValue, int.MaxValue, int.MaxValue), "needs more than 2^63 bytes of raw_data, found 8");
        yield return Case("negative dim", () => Raw(TensorProto.Types.DataType.Float, 4, -1), "dimension 0 = -1");
        yield return Case("float16", () => Raw(TensorProto.Types.DataType.Float16, 2, 1), "element type 10 (float16): expected 1 (float), 6 (int32), 7 (int64) or 11 (double)");
        yield return Case("unknown type", () => Raw((TensorProto.Types.DataType)99, 2, 1), "element type 99 (unknown)");
        yield return Case("no data", () => Tensor(TensorProto.Types.DataType.Int64, 3), "holds 3 elements by its dims, found 0 in int64_data");
        yield return Case("too few typed values", () =>
        {
            var t = Tensor(TensorProto.Types.DataType.Float, 3);
            t.FloatData.AddRange([1f, 2f]);
            return t;
        }, "holds 3 elements by its dims, found 2 in float_data");
        yield return Case("wrong typed field", () =>
        {
            var t = Tensor(TensorProto.Types.DataType.Float, 1);
            t.DoubleData.Add(1);
            return t;
        }, "stores values in a field other than float_data");
        yield return Case("raw and typed", () =>
        {
            var t = Raw(TensorProto.Types.DataType.Float, 4, 1);
            t.FloatData.Add(1f);
            return t;
        }, "sets both raw_data and a typed data field");
        yield return Case("external data", () =>
        {
            var t = Tensor(TensorProto.Types.DataType.Float, 1);
            t.DataLocation = TensorProto.Types.DataLocation.External;
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
            return t;
        }, "keeps its data in an external file");
    }

    [TestCaseSource(nameof(BrokenTensors))]
    public void BrokenTensorsAreRefusedWithOneClearLine(Func<TensorProto> build, string fragment)
    {
        byte[] bytes = build().ToByteArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => OnnxTensors.ReadTensorProto(bytes, "bad.pb"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Message, Does.StartWith("bad.pb: ").And.Contain(fragment).And.Not.Contain('\n'));
            Assert.That(allocated, Is.LessThan(1 << 20), "bytes allocated while refusing the tensor");
        }
    }

    [Test]
    public void GarbledBytesAreRefused()
    {
        byte[] good = OnnxTensors.ToTensorProto("t", NdArray.FromFloats([1, 2, 3, 4, 5, 6], 2, 3)).ToByteArray();
        using (Assert.EnterMultipleScope())
        {
            for (int n = 1; n < good.Length; n++)
            {
                int length = n;
                Assert.Throws<ModelFormatException>(() => OnnxTensors.ReadTensorProto(good.AsSpan(0, length), "cut.pb"), $"prefix of {length} bytes");
            }
            // A length prefix claiming 2^32 bytes: refused without trying to allocate them.
            Assert.That(Assert.Throws<ModelFormatException>(() => OnnxTensors.ReadTensorProto([0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2], "huge.pb"))!.Message,
                Does.StartWith("huge.pb: not a valid ONNX TensorProto"));
            Assert.Throws<ModelFormatException>(() => OnnxTensors.ReadTensorProto("not a tensor"u8, "text.pb"));
        }
    }
}
