using System.Buffers.Binary;
using System.Text;
using LstmNative.Formats;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Formats;

/// <summary>safetensors: round trips, half types, and every kind of hostile file refused with a message naming the problem.</summary>
public class SafetensorsTests
{
    private const string Source = "test.safetensors";

    /// <summary>A file from a header text and a data section, as a hostile writer would make it.</summary>
    internal static byte[] Raw(string header, byte[] data, ulong? lengthField = null) => Raw(Encoding.UTF8.GetBytes(header), data, lengthField);

    internal static byte[] Raw(byte[] h, byte[] data, ulong? lengthField = null)
    {
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthField ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    private static string Refusal(byte[] bytes) =>
        Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(bytes, Source))!.Message;

    [Test]
    public void RoundTripKeepsEveryBitAndTheOrder()
    {
        var rng = FormatTestData.Rng();
        var tensors = new List<KeyValuePair<string, NdArray>>
        {
            new("b.weight", FormatTestData.RandomArray(rng, DType.Float32, [3, 4])),
            new("a.double", FormatTestData.RandomArray(rng, DType.Float64, [2])),
            new("steps", FormatTestData.RandomArray(rng, DType.Int64, [])),
            new("ids", FormatTestData.RandomArray(rng, DType.Int32, [2, 0, 3])),
            new("empty", new NdArray(Array.Empty<float>(), [0])),
        };
        byte[] bytes = SafetensorsWriter.ToBytes(tensors, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.That((BinaryPrimitives.ReadUInt64LittleEndian(bytes) + 8) % 8, Is.Zero, "the data starts 8-byte aligned");
        var file = SafetensorsReader.Read(bytes, Source);
        Assert.That(file.Names, Is.EqualTo(tensors.Select(t => t.Key)));
        Assert.That(file.Metadata["format"], Is.EqualTo("pt"));
        foreach (var (name, array) in tensors)
        {
            var read = file.Read(name);
            Assert.That(read.DType, Is.EqualTo(array.DType), name);
            Assert.That(read.Shape, Is.EqualTo(array.Shape), name);
            Assert.That(FormatTestData.Bytes(read.Data).ToArray(), Is.EqualTo(FormatTestData.Bytes(array.Data).ToArray()), name);
        }
    }

    [Test]
    public void FileRoundTripIsAtomicAndReadable()
    {
        string dir = Directory.CreateTempSubdirectory("lstmnative-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.safetensors");
            SafetensorsWriter.Write(path, [new("x", NdArray.FromFloats([1, 2, 3], 3))]);
            Assert.That(SafetensorsReader.Read(path).Read("x").ToFloats(), Is.EqualTo(new float[] { 1, 2, 3 }));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary file is left behind");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void HalfTypesWidenToFloat32Exactly()
    {
        // F16: 1.0 = 0x3C00, -2.5 = 0xC100, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001.
        // BF16: 1.0 = 0x3F80, -2.5 = 0xC020, 3.0e38-ish = 0x7F61, inf = 0x7F80.
        ushort[] f16 = [0x3C00, 0xC100, 0x7BFF, 0x0001];
        ushort[] bf16 = [0x3F80, 0xC020, 0x7F61, 0x7F80];
        var data = new byte[16];
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), f16[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(8 + 2 * i), bf16[i]);
        }
        var file = SafetensorsReader.Read(Raw("""{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]}}""", data), Source);
        var h = file.Read("h");
        Assert.That(h.DType, Is.EqualTo(DType.Float32));
        Assert.That(h.Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(h.ToFloats(), Is.EqualTo(new[] { 1f, -2.5f, 65504f, MathF.Pow(2, -24) }));
        var b = file.Read("b").ToFloats();
        Assert.That(b[..2], Is.EqualTo(new[] { 1f, -2.5f }));
        Assert.That(BitConverter.SingleToUInt32Bits(b[2]), Is.EqualTo(0x7F610000u));
        Assert.That(b[3], Is.EqualTo(float.PositiveInfinity));
    }

    [Test]
    public void UnreadableDtypeFailsOnlyWhenThatTensorIsRead()
    {
        var file = SafetensorsReader.Read(Raw("""{"mask":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"w":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", new byte[6]), Source);
        Assert.That(file.Read("w").ToFloats(), Is.EqualTo(new[] { 0f }));
        var ex = Assert.Throws<ModelFormatException>(() => file.Read("mask"));
        Assert.That(ex!.Message, Is.EqualTo($"{Source}: tensor 'mask' has dtype U8, which cannot be read: expected one of F16, BF16, F32, F64, I32, I64"));
    }

    public static IEnumerable<TestCaseData> Hostile()
    {
        TestCaseData Case(string name, byte[] bytes, string message) => new TestCaseData(bytes, message).SetArgDisplayNames(name);
        const string ok = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        yield return Case("empty file", [], "truncated safetensors file: expected an 8-byte header length, found 0 bytes");
        yield return Case("short prefix", [1, 2, 3], "found 3 bytes");
        yield return Case("oversized header", Raw(ok, new byte[8], lengthField: 200_000_000), "header length 200000000 is over the 100000000-byte limit");
        yield return Case("huge header length", Raw(ok, new byte[8], lengthField: ulong.MaxValue), "is over the 100000000-byte limit");
        yield return Case("header past the end", Raw(ok, [], lengthField: 4096), "truncated safetensors file: the header length field says 4096 bytes");
        yield return Case("truncated data", Raw(ok, new byte[5]), "tensor 'w' has data_offsets [0, 8] outside the 5-byte data section (truncated file?)");
        yield return Case("not JSON", Raw("{oops", []), "safetensors header is not valid JSON");
        yield return Case("not an object", Raw("[1,2]", []), "expected it to start with '{'");
        yield return Case("entry not an object", Raw("""{"w":3}""", []), "tensor 'w' is a JSON number");
        yield return Case("unknown dtype", Raw("""{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "tensor 'w' has unknown dtype 'Q4'");
        yield return Case("wrong dtype size", Raw("""{"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "tensor 'w' of shape [2] and dtype F64 needs 16 bytes, but its data_offsets [0, 8] span 8");
        yield return Case("shape inconsistent", Raw("""{"w":{"dtype":"F32","shape":[3,1],"data_offsets":[0,8]}}""", new byte[8]), "tensor 'w' of shape [3, 1] and dtype F32 needs 12 bytes");
        yield return Case("overflowing shape", Raw("""{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", new byte[8]), "needs more than 2^63 bytes");
        yield return Case("negative dim", Raw("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", new byte[8]), "tensor 'w' has shape entry 0 = -2");
        yield return Case("fractional dim", Raw("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", new byte[8]), "shape entry 0 = 2.5");
        yield return Case("reversed offsets", Raw("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", new byte[8]), "the end is before the begin");
        yield return Case("three offsets", Raw("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}""", new byte[8]), "has 3 data_offsets");
        yield return Case("negative offset", Raw("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", new byte[8]), "data offset -8");
        yield return Case("overlap", Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]),
            "tensors 'a' [0, 8] and 'b' [4, 12] overlap");
        yield return Case("aliasing", Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}""", new byte[8]),
            "overlap");
        yield return Case("hole", Raw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12]),
            "bytes [4, 8) of the data section belong to no tensor");
        yield return Case("trailing bytes", Raw(ok, new byte[12]), "4 trailing bytes belong to no tensor");
        yield return Case("duplicate name", Raw("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]), "names 'w' twice");
        yield return Case("unknown field", Raw("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}""", new byte[8]), "tensor 'w' has unknown field 'x'");
        yield return Case("missing dtype", Raw("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", new byte[8]), "tensor 'w' has no dtype string");
        yield return Case("bad metadata", Raw("""{"__metadata__":{"a":1}}""", []), "__metadata__ entry 'a' is a JSON number: expected a string");
        yield return Case("invalid UTF-8 name", Raw([.. "{\"w"u8, 0xC3, 0x28, .. "\":{}}"u8], []), "safetensors header is not valid UTF-8");
        yield return Case("deep nesting", Raw("{\"w\":" + new string('[', 100) + new string(']', 100) + "}", []), "not valid JSON");
    }

    [TestCaseSource(nameof(Hostile))]
    public void HostileFilesAreRefusedWithAClearMessage(byte[] bytes, string message)
    {
        string refusal = Refusal(bytes);
        Assert.That(refusal, Does.StartWith(Source + ": "));
        Assert.That(refusal, Does.Contain(message));
        Assert.That(refusal, Does.Not.Contain('\n'));
    }

    [Test]
    public void EveryTruncationOfAValidFileIsRefused()
    {
        byte[] bytes = SafetensorsWriter.ToBytes([new("a", NdArray.FromFloats([1, 2], 2)), new("b", NdArray.FromDoubles([3], 1))]);
        for (int n = 0; n < bytes.Length; n++)
            Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(bytes.AsMemory(0, n), Source), $"truncated to {n} bytes");
    }

    [Test]
    public void WriterRefusesReservedAndRepeatedNames()
    {
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.ToBytes([new("__metadata__", NdArray.FromFloats([1], 1))]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.ToBytes([new("a", NdArray.FromFloats([1], 1)), new("a", NdArray.FromFloats([1], 1))]));
    }
}
