using System.Diagnostics;
using Google.Protobuf;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Forecasting;
using LstmNative.Onnx;
using NUnit.Framework;
using static LstmNative.Tests.Formats.OnnxBuilder;

namespace LstmNative.Tests.Formats;

/// <summary>Issue 18: sizes are computed in wide arithmetic and refused with the dimension named; readers stay linear.</summary>
public class SizeArithmeticTests
{
    [TestCase(RnnCellType.Lstm, 4, 1_000_000, "R")]
    [TestCase(RnnCellType.Lstm, 1, 65536, "R")]
    [TestCase(RnnCellType.Gru, 1 << 30, 4, "W")]
    [TestCase(RnnCellType.Lstm, 1, int.MaxValue, "W")]
    public void WeightsTooLargeForAnArrayAreRefusedNotWrapped(RnnCellType cell, int input, int hidden, string block)
    {
        var options = new RnnLayerOptions(cell, input, hidden);
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(e!.Message, Does.StartWith(block).And.Contain("more than a .NET array allows").And.Not.Contain("=-"));
        Assert.Throws<ArgumentException>(() => _ = new LayerWeights<float>(options));
        Assert.Throws<ArgumentException>(() => _ = new DirectionWeights<float>(cell.GateCount(), input, hidden, false));
    }

    [Test]
    public void AHiddenSizeWhoseGateRowsWrapToZeroIsRefused()
    {
        // hidden_size 2^30: 4*hidden_size wraps to 0 in 32 bits, which matched an empty W.
        var node = Node("LSTM", "lstm", ["X", "W", "R"], ["", "Y_h"], Int("hidden_size", 1 << 30));
        var model = OnnxBuilder.Model(Graph([node],
            [Input("X", DType.Float32, "T", 1, 4), Input("W", DType.Float32, 1, 0, 4), Input("R", DType.Float32, 1, 0, 1 << 30)], ["Y_h"]));
        var rnn = OnnxModelReader.Load(model.ToByteArray(), "huge.onnx");
        var e = Assert.Throws<ModelFormatException>(() => rnn.ToLayerOptions());
        Assert.That(e!.Message, Does.Contain("huge.onnx").And.Contain("4294967296"));
        var max = Node("LSTM", "lstm", ["X", "W", "R"], ["", "Y_h"], Int("hidden_size", int.MaxValue));
        var e2 = Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load(OnnxBuilder.Model(Graph([max],
            [Input("X", DType.Float32, "T", 1, 4), Input("W", DType.Float32, 1, 4, 4), Input("R", DType.Float32, 1, 4, 1)], ["Y_h"])).ToByteArray(), "max.onnx").ToLayerOptions());
        Assert.That(e2!.Message, Does.Not.Contain("-4"));
    }

    [TestCase(23171)]
    [TestCase(1_000_000)]
    public void AForecasterTooLargeForAnArrayIsRefusedWithItsHiddenSize(int hidden)
    {
        var shape = new ForecasterShape(2, 0, 24, 6, Hidden: hidden, Layers: 2, Patch: 24);
        var e = Assert.Throws<ArgumentException>(shape.Validate);
        Assert.That(e!.Message, Does.Contain($"hidden size {hidden}"));
    }

    [Test]
    public void GraphInputsAreCheckedForDuplicatesInLinearTime()
    {
        var model = SimpleGru();
        for (int i = 0; i < 100_000; i++)
            model.Graph.Input.Add(Input($"extra{i}", DType.Float32, 1));
        byte[] bytes = model.ToByteArray();
        var clock = Stopwatch.StartNew();
        OnnxModelReader.Load(bytes, "many.onnx");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "100,000 graph inputs");
        model.Graph.Input.Add(Input("extra5", DType.Float32, 1));
        var e = Assert.Throws<ModelFormatException>(() => OnnxModelReader.Load(model.ToByteArray(), "many.onnx"));
        Assert.That(e!.Message, Does.Contain("'extra5' twice"));
    }

    [Test]
    public void LargeArraysAreWrittenInSlices()
    {
        // The slicing itself, on a small array: slices of 16 MiB reassemble to exactly NumPy's bytes.
        var values = Enumerable.Range(0, (1 << 22) + 7).Select(i => (float)i).ToArray();
        var array = new NdArray(values, [values.Length]);
        using var stream = new MemoryStream();
        NpyWriter.Write(stream, array);
        Assert.That(stream.ToArray(), Is.EqualTo(NpyWriter.ToBytes(array)));
    }

    private static byte[] Safetensors(string header)
    {
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + 4];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (long)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    [Test]
    public void AnEscapedLoneSurrogateInASafetensorsNameIsAFormatErrorNamingTheFile()
    {
        var bytes = Safetensors("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(bytes, "lone.safetensors"));
        Assert.That(e!.Message, Does.StartWith("lone.safetensors: ").And.Contain("surrogate"));
    }

    [Test]
    public void AHugeDtypeIsNotEchoedWhole()
    {
        string dtype = new('Q', 60_000);
        var bytes = Safetensors("{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(bytes, "dtype.safetensors"));
        Assert.That(e!.Message, Does.Contain("dtype.safetensors").And.Contain("60000 characters"));
        Assert.That(e.Message.Length, Is.LessThan(400));
    }

    [Test]
    public void AnNpyHeaderLengthNearFourGigabytesIsAFormatError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lstmnative-npy-{Guid.NewGuid():N}.npy");
        try
        {
            using (var f = File.Create(path))
            {
                f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xF0, 0xFF, 0xFF, 0xFF]);
                f.SetLength(5L << 30); // sparse: the length field fits inside the file
            }
            var e = Assert.Throws<ModelFormatException>(() => NpyReader.Read(path));
            Assert.That(e!.Message, Does.Contain(path).And.Contain("4294967280"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
