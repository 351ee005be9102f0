using System.Buffers.Binary;
using System.Text;
using LstmNative.Formats;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Formats;

public class NpyTests
{
    private const string NumpyDict23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    private string _dir = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lstmnative-npy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    /// <summary>An NPY file built the way NumPy's <c>_wrap_header</c> builds it (dict, spaces, '\n'; data at a multiple of 64).</summary>
    internal static byte[] NumpyFile(string dict, ReadOnlySpan<byte> data, byte major = 1)
    {
        byte[] header = major == 3 ? Encoding.UTF8.GetBytes(dict) : Encoding.Latin1.GetBytes(dict);
        int lengthField = major == 1 ? 2 : 4;
        int hlen = header.Length + 1;
        int pad = 64 - ((8 + lengthField + hlen) % 64);
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        var len = new byte[lengthField];
        if (major == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)(hlen + pad));
        else
            BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)(hlen + pad));
        bytes.AddRange(len);
        bytes.AddRange(header);
        bytes.AddRange(Enumerable.Repeat((byte)' ', pad));
        bytes.Add((byte)'\n');
        bytes.AddRange(data.ToArray());
        return bytes.ToArray();
    }

    private static byte[] FloatBytes(params float[] values) => FormatTestData.Bytes(values).ToArray();

    private static IEnumerable<TestCaseData> RoundTripCases() =>
        from type in Enum.GetValues<DType>()
        from rank in Enumerable.Range(0, 5)
        select new TestCaseData(type, rank);

    [TestCaseSource(nameof(RoundTripCases))]
    public void RoundTripKeepsDTypeShapeAndBits(DType type, int rank)
    {
        var rng = FormatTestData.Rng();
        var array = FormatTestData.RandomArray(rng, type, FormatTestData.RandomShape(rng, rank));
        string path = Path.Combine(_dir, "a.npy");

        NpyWriter.Write(path, array);
        var fromFile = NpyReader.Read(path);
        byte[] bytes = File.ReadAllBytes(path);
        var fromBytes = NpyReader.Read(bytes, "memory");

        int dataStart = bytes.Length - FormatTestData.Bytes(array.Data).Length;
        using (Assert.EnterMultipleScope())
        {
            foreach (var back in new[] { fromFile, fromBytes })
            {
                Assert.That(back.DType, Is.EqualTo(type));
                Assert.That(back.Shape, Is.EqualTo(array.Shape));
                Assert.That(FormatTestData.Bytes(back.Data).ToArray(), Is.EqualTo(FormatTestData.Bytes(array.Data).ToArray()));
            }
            Assert.That(NpyWriter.ToBytes(array), Is.EqualTo(bytes));
            Assert.That(dataStart % 64, Is.Zero, "data starts at a multiple of 64");
            Assert.That(bytes[dataStart - 1], Is.EqualTo((byte)'\n'), "header ends with a newline");
            Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file left behind");
        }
    }

    [TestCase(new[] { 0 })]
    [TestCase(new[] { 0, 3 })]
    [TestCase(new[] { 2, 0, 4 })]
    public void RoundTripsEmptyArrays(int[] shape)
    {
        var array = new NdArray(Array.Empty<double>(), shape);
        var back = NpyReader.Read(NpyWriter.ToBytes(array), "memory");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(back.Shape, Is.EqualTo(shape));
            Assert.That(back.DType, Is.EqualTo(DType.Float64));
            Assert.That(back.Length, Is.Zero);
        }
    }

    [Test]
    public void WritesTheHeaderNumpyWrites()
    {
        var array = NdArray.FromFloats([0, 1, 2, 3, 4, 5], 2, 3);
        byte[] expected = NumpyFile(NumpyDict23, FloatBytes(0, 1, 2, 3, 4, 5));
        Assert.That(NpyWriter.ToBytes(array), Is.EqualTo(expected));
    }

    [Test]
    public void ScalarAndVectorHeadersUsePythonTupleSyntax()
    {
        string Header(NdArray a)
        {
            byte[] bytes = NpyWriter.ToBytes(a);
            return Encoding.ASCII.GetString(bytes, 10, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8))).TrimEnd();
        }
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Header(new NdArray(new long[] { 7 }, [])), Is.EqualTo("{'descr': '<i8', 'fortran_order': False, 'shape': (), }"));
            Assert.That(Header(new NdArray(new int[3], [3])), Is.EqualTo("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }"));
            Assert.That(Header(new NdArray(new double[24], [2, 3, 4])), Is.EqualTo("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }"));
        }
    }

    private static IEnumerable<TestCaseData> NumpyWrittenFiles()
    {
        byte[] six = FloatBytes(1, 2, 3, 4, 5, 6);
        yield return new TestCaseData(NumpyFile(NumpyDict23, six), DType.Float32, new[] { 2, 3 }).SetName("{m}(v1.0 as numpy writes it)");
        // NumPy >= 1.24 leaves room to grow the first axis: spaces before the alignment padding.
        yield return new TestCaseData(NumpyFile(NumpyDict23 + new string(' ', 20), six), DType.Float32, new[] { 2, 3 }).SetName("{m}(v1.0 with growth padding)");
        yield return new TestCaseData(NumpyFile(NumpyDict23, six, major: 2), DType.Float32, new[] { 2, 3 }).SetName("{m}(v2.0)");
        yield return new TestCaseData(NumpyFile(NumpyDict23, six, major: 3), DType.Float32, new[] { 2, 3 }).SetName("{m}(v3.0)");
        yield return new TestCaseData(NumpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", six), DType.Float32, new[] { 6 }).SetName("{m}(one-element tuple)");
        yield return new TestCaseData(NumpyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(2.5)), DType.Float64, Array.Empty<int>()).SetName("{m}(0-d scalar)");
        yield return new TestCaseData(NumpyFile("{\"shape\": (3, 2), \"descr\": \"<f4\", \"fortran_order\": False}", six), DType.Float32, new[] { 3, 2 }).SetName("{m}(double quotes, other key order, no trailing comma)");
        yield return new TestCaseData(NumpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", six), DType.Float32, new[] { 2, 3 }).SetName("{m}(Python 2 long suffix)");
        yield return new TestCaseData(NumpyFile("{'descr': '=i4', 'fortran_order': False, 'shape': (2, 3), }", six), DType.Int32, new[] { 2, 3 }).SetName("{m}(native byte order '=')");
        yield return new TestCaseData(NumpyFile("{'descr': '|i8', 'fortran_order': False, 'shape': (3,), }", six), DType.Int64, new[] { 3 }).SetName("{m}(byte order not applicable '|')");
    }

    [TestCaseSource(nameof(NumpyWrittenFiles))]
    public void ReadsFilesNumpyWrote(byte[] file, DType type, int[] shape)
    {
        string path = Path.Combine(_dir, "numpy.npy");
        File.WriteAllBytes(path, file);
        var array = NpyReader.Read(path);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(array.DType, Is.EqualTo(type));
            Assert.That(array.Shape, Is.EqualTo(shape));
            int dataStart = file.Length - FormatTestData.Bytes(array.Data).Length;
            Assert.That(FormatTestData.Bytes(array.Data).ToArray(), Is.EqualTo(file[dataStart..]));
        }
    }

    [Test]
    public void ReadsNumpyValuesInRowMajorOrder()
    {
        var array = NpyReader.Read(NumpyFile(NumpyDict23, FloatBytes(1, 2, 3, 4, 5, 6)), "memory");
        Assert.That(array.Data, Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
    }

    private static IEnumerable<TestCaseData> BrokenFiles()
    {
        byte[] six = FloatBytes(1, 2, 3, 4, 5, 6);
        byte[] good = NumpyFile(NumpyDict23, six);
        TestCaseData Case(string name, byte[] bytes, params string[] fragments) => new TestCaseData(bytes, fragments).SetName("{m}(" + name + ")");
        string Dict(string descr = "'<f4'", string fortran = "False", string shape = "(2, 3)") =>
            $"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}";

        byte[] badMagic = (byte[])good.Clone();
        badMagic[5] = (byte)'Z';
        yield return Case("bad magic", badMagic, "not an NPY file", "magic", "934E554D505A");
        yield return Case("empty file", [], "not an NPY file", "empty file");
        yield return Case("text file", Encoding.ASCII.GetBytes("x,y\n1,2\n"), "not an NPY file");
        yield return Case("only part of the magic", good[..4], "truncated NPY file", "found 4");
        yield return Case("no header length", good[..9], "truncated NPY file", "10-byte prefix", "found 9");
        byte[] v4 = (byte[])good.Clone();
        v4[6] = 4;
        yield return Case("version 4.0", v4, "unsupported NPY format version 4.0", "expected 1.0, 2.0 or 3.0");
        yield return Case("truncated header", good[..70], "truncated NPY header", "says 118 bytes", "found 60");
        yield return Case("truncated data", good[..^4], "truncated NPY data", "needs 24 bytes of data, found 20");
        yield return Case("no data", good[..128], "truncated NPY data", "needs 24 bytes of data, found 0");
        yield return Case("trailing bytes", [.. good, 0, 0, 0, 0], "trailing bytes", "needs 24 bytes of data, found 28");
        yield return Case("big-endian", NumpyFile(Dict(descr: "'>f4'"), six), "'>f4' is big-endian", "expected '<f4'");
        yield return Case("fortran order", NumpyFile(Dict(fortran: "True"), six), "Fortran", "expected fortran_order False");
        yield return Case("float16", NumpyFile(Dict(descr: "'<f2'"), six), "unsupported NPY dtype '<f2'", "expected one of '<f4', '<f8', '<i4', '<i8'");
        yield return Case("unicode dtype", NumpyFile(Dict(descr: "'<U3'"), six), "unsupported NPY dtype '<U3'");
        yield return Case("bool dtype", NumpyFile(Dict(descr: "'|b1'"), six), "unsupported NPY dtype '|b1'");
        yield return Case("structured dtype", NumpyFile(Dict(descr: "[('a', '<f4')]"), six), "structured dtypes are not supported");
        yield return Case("missing shape", NumpyFile("{'descr': '<f4', 'fortran_order': False}", six), "lacks 'shape'");
        yield return Case("extra key", NumpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", six), "unexpected key 'x'");
        yield return Case("duplicate key", NumpyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", six), "key 'descr' twice");
        yield return Case("shape not a tuple", NumpyFile(Dict(shape: "(6)"), six), "'shape' must be a tuple", "the integer 6");
        yield return Case("negative dimension", NumpyFile(Dict(shape: "(-1, 6)"), six), "shape entry 0 is -1");
        yield return Case("dimension too large", NumpyFile(Dict(shape: "(4294967296,)"), six), "shape entry 0 is 4294967296");
        yield return Case("fortran_order not a bool", NumpyFile(Dict(fortran: "0"), six), "'fortran_order' must be True or False");
        yield return Case("unclosed tuple", NumpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}", six), "not a valid Python literal");
        yield return Case("not a dict", NumpyFile("('<f4', False, (2, 3))", six), "must be a dict");
        yield return Case("python expression", NumpyFile(Dict(shape: "__import__('os')"), six), "not a valid Python literal");
        yield return Case("huge shape", NumpyFile(Dict(shape: "(100000, 100000, 100000)"), six), "truncated NPY data", "needs 4000000000000000 bytes of data, found 24");
        yield return Case("shape overflowing 64 bits", NumpyFile(Dict(shape: "(2147483647, 2147483647, 2147483647)"), six), "needs more than 2^63 bytes of data, found 24");
        byte[] badUtf8 = NumpyFile(Dict(descr: "'<f4'") + "    ", six, major: 3);
        badUtf8[20] = 0xFF;
        yield return Case("v3.0 header not UTF-8", badUtf8, "not valid UTF-8");
    }

    [TestCaseSource(nameof(BrokenFiles))]
    public void RefusesBrokenFilesWithOneClearLine(byte[] file, string[] fragments)
    {
        string path = Path.Combine(_dir, "broken.npy");
        File.WriteAllBytes(path, file);
        var fromFile = Assert.Throws<ModelFormatException>(() => NpyReader.Read(path));
        var fromBytes = Assert.Throws<ModelFormatException>(() => NpyReader.Read(file, "memory.npy"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fromFile.Message, Does.StartWith(path + ": "));
            Assert.That(fromBytes.Message, Does.StartWith("memory.npy: "));
            Assert.That(fromFile.Message, Does.Not.Contain('\n'));
            foreach (string fragment in fragments)
                Assert.That(fromFile.Message, Does.Contain(fragment));
            Assert.That(fromBytes.Message, Is.EqualTo(fromFile.Message.Replace(path, "memory.npy", StringComparison.Ordinal)));
        }
    }

    [Test]
    public void HugeShapeIsRefusedWithoutAllocating()
    {
        // 1e15 float64 elements claimed by a 152-byte file: the reader must compare sizes before it allocates.
        byte[] file = NumpyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000, 1000, 1000, 1000), }", new byte[24]);
        string path = Path.Combine(_dir, "huge.npy");
        File.WriteAllBytes(path, file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<ModelFormatException>(() => NpyReader.Read(file, "memory"));
        Assert.Throws<ModelFormatException>(() => NpyReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.LessThan(1 << 20), "bytes allocated while refusing the file");
    }

    [Test]
    public void MissingFileIsAnIoError()
    {
        string path = Path.Combine(_dir, "absent.npy");
        var e = Assert.Throws<FileNotFoundException>(() => NpyReader.Read(path));
        Assert.That(e.Message, Does.Contain(path));
    }
}
