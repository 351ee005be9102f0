using LstmNative.Formats;
using LstmNative.Layers;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Tests.Formats;

/// <summary>PyTorch state_dict names ⇄ models: configuration inference, prefixes, and missing/extra/misshapen tensors.</summary>
public class PyTorchStateDictTests
{
    private const string Source = "m.safetensors";

    /// <summary>A state dict exactly as PyTorch names and shapes it, with random float32 values.</summary>
    internal static Dictionary<string, NdArray> StateDict(RnnCellType cell, int input, int hidden, int layers, bool bidirectional,
        bool bias = true, int proj = 0, string prefix = "", int seed = 1)
    {
        var rng = new Random(seed);
        int g = cell.GateCount(), state = proj > 0 ? proj : hidden, dirs = bidirectional ? 2 : 1;
        var dict = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        for (int l = 0; l < layers; l++)
            foreach (string dir in bidirectional ? new[] { "", "_reverse" } : [""])
            {
                dict[$"{prefix}weight_ih_l{l}{dir}"] = FormatTestData.UniformFloats(rng, [g * hidden, l == 0 ? input : dirs * state], 0.5);
                dict[$"{prefix}weight_hh_l{l}{dir}"] = FormatTestData.UniformFloats(rng, [g * hidden, state], 0.5);
                if (bias)
                {
                    dict[$"{prefix}bias_ih_l{l}{dir}"] = FormatTestData.UniformFloats(rng, [g * hidden], 0.5);
                    dict[$"{prefix}bias_hh_l{l}{dir}"] = FormatTestData.UniformFloats(rng, [g * hidden], 0.5);
                }
                if (proj > 0)
                    dict[$"{prefix}weight_hr_l{l}{dir}"] = FormatTestData.UniformFloats(rng, [proj, hidden], 0.5);
            }
        return dict;
    }

    [TestCase(RnnCellType.Lstm, 1, false, true, 0)]
    [TestCase(RnnCellType.Lstm, 3, true, true, 0)]
    [TestCase(RnnCellType.Gru, 2, true, false, 0)]
    [TestCase(RnnCellType.Gru, 1, false, true, 0)]
    [TestCase(RnnCellType.Lstm, 2, true, true, 2)]
    [TestCase(RnnCellType.Lstm, 1, false, false, 3)]
    public void ConfigurationIsInferredAndWeightsRoundTrip(RnnCellType cell, int layers, bool bidirectional, bool bias, int proj)
    {
        var dict = StateDict(cell, 3, 4, layers, bidirectional, bias, proj);
        var model = PyTorchStateDict.ToModel<float>(dict, batchFirst: true, source: Source);
        var expected = new RnnOptions(cell, 3, 4, layers, bias, BatchFirst: true, Bidirectional: bidirectional) { ProjectionSize = proj };
        Assert.That(model.Options, Is.EqualTo(expected));
        // PyTorch's order is the engine's: weight_ih_l0 is W of layer 0, forward direction, unchanged.
        Assert.That(model.Layers[0].Directions[0].W, Is.EqualTo(dict["weight_ih_l0"].ToFloats()));
        var back = PyTorchStateDict.FromModel(model);
        Assert.That(back.Select(kv => kv.Key), Is.EquivalentTo(dict.Keys));
        foreach (var (name, array) in back)
        {
            Assert.That(array.Shape, Is.EqualTo(dict[name].Shape), name);
            Assert.That(array.ToFloats(), Is.EqualTo(dict[name].ToFloats()), name);
        }
    }

    [Test]
    public void SafetensorsFileFromALargerModelLoadsByPrefix()
    {
        var dict = StateDict(RnnCellType.Lstm, 3, 4, 2, false, prefix: "encoder.lstm.");
        foreach (var (k, v) in StateDict(RnnCellType.Gru, 4, 5, 1, true, prefix: "decoder.gru.", seed: 2))
            dict[k] = v;
        dict["fc.weight"] = NdArray.FromFloats(new float[8], 2, 4);
        dict["bn.num_batches_tracked"] = new NdArray(new long[] { 3 }, []);
        var file = SafetensorsReader.Read(SafetensorsWriter.ToBytes(dict), Source);

        Assert.That(PyTorchStateDict.FindModules(file.Names), Is.EqualTo(new[] { "decoder.gru.", "encoder.lstm." }));
        var encoder = PyTorchStateDict.Load<float>(file, "encoder.lstm");
        Assert.That(encoder.Options, Is.EqualTo(new RnnOptions(RnnCellType.Lstm, 3, 4, 2)));
        var decoder = PyTorchStateDict.Load<double>(file, "decoder.gru.");
        Assert.That(decoder.Options, Is.EqualTo(new RnnOptions(RnnCellType.Gru, 4, 5, Bidirectional: true)));
        Assert.That(decoder.Layers[0].Directions[1].Br, Is.EqualTo(dict["decoder.gru.bias_hh_l0_reverse"].ToDoubles()));

        var ex = Assert.Throws<ModelFormatException>(() => PyTorchStateDict.Load<float>(file));
        Assert.That(ex!.Message, Is.EqualTo($"{Source}: 2 RNN modules (decoder.gru, encoder.lstm): pass the prefix of the one to use"));
        ex = Assert.Throws<ModelFormatException>(() => PyTorchStateDict.Load<float>(file, "encoder"));
        Assert.That(ex!.Message, Does.Contain("prefix 'encoder' names no nn.LSTM or nn.GRU (RNN modules in the file: decoder.gru, encoder.lstm)"));
    }

    [Test]
    public void SaveWritesWhatLoadReads()
    {
        var model = new RnnModel<float>(new RnnOptions(RnnCellType.Lstm, 2, 5, 2, Bidirectional: true) { ProjectionSize = 3 }).InitializeUniform(4);
        string dir = Directory.CreateTempSubdirectory("lstmnative-sd-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.safetensors");
            PyTorchStateDict.Save(path, model, "rnn");
            var loaded = PyTorchStateDict.Load<float>(SafetensorsReader.Read(path));
            Assert.That(loaded.Options, Is.EqualTo(model.Options));
            for (int l = 0; l < 2; l++)
                for (int d = 0; d < 2; d++)
                    Assert.That(loaded.Layers[l].Directions[d].Parameters().SelectMany(p => p), Is.EqualTo(model.Layers[l].Directions[d].Parameters().SelectMany(p => p)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static IEnumerable<TestCaseData> BadStateDicts()
    {
        TestCaseData Case(string name, Action<Dictionary<string, NdArray>> change, string message, RnnCellType cell = RnnCellType.Lstm) =>
            new TestCaseData(cell, change, message).SetArgDisplayNames(name);
        yield return Case("missing weight_hh", d => d.Remove("weight_hh_l1"), "missing tensor 'weight_hh_l1': the others describe a 2-layer bidirectional module");
        yield return Case("missing reverse bias", d => d.Remove("bias_ih_l0_reverse"), "missing tensor 'bias_ih_l0_reverse'");
        yield return Case("missing a whole layer's tensors", d => { foreach (var k in d.Keys.Where(k => k.Contains("_l0")).ToList()) d.Remove(k); }, "no nn.LSTM or nn.GRU weights");
        yield return Case("gap in the layers", d => { d["weight_ih_l3"] = d["weight_ih_l1"]; }, "missing tensor 'weight_ih_l2' (and 14 more: weight_hh_l2, bias_ih_l2, bias_hh_l2, weight_ih_l2_reverse, ...): the others describe a 4-layer");
        yield return Case("extra tensor", d => d["lstm_extra"] = NdArray.FromFloats([1], 1), "unexpected tensor 'lstm_extra': expected only nn.LSTM/nn.GRU parameters");
        yield return Case("extra projection", d => d["weight_hr_l1"] = NdArray.FromFloats([1], 1, 1), "unexpected tensor 'weight_hr_l1': the other tensors describe a 2-layer bidirectional module");
        yield return Case("wrong input width", d => d["weight_ih_l1"] = NdArray.FromFloats(new float[16 * 4], 16, 4), "tensor 'weight_ih_l1' has shape [16, 4]: expected [16, 8] [4*hidden_size, 2*hidden_size of layer 0] for an nn.LSTM with hidden_size 4");
        yield return Case("wrong bias length", d => d["bias_hh_l0"] = NdArray.FromFloats(new float[15], 15), "tensor 'bias_hh_l0' has shape [15]: expected [16]");
        yield return Case("integer weights", d => d["weight_hh_l0_reverse"] = new NdArray(new int[64], [16, 4]), "tensor 'weight_hh_l0_reverse' has dtype int32: expected floating-point weights");
        yield return Case("1-D weight", d => d["weight_ih_l0"] = NdArray.FromFloats(new float[48], 48), "tensor 'weight_ih_l0' has shape [48]: expected 2-D");
        yield return Case("rows not a gate multiple", d => { d["weight_ih_l0"] = NdArray.FromFloats(new float[15], 5, 3); d["weight_hh_l0"] = NdArray.FromFloats(new float[20], 5, 4); },
            "tensor 'weight_hh_l0' has shape [5, 4]: expected [4*hidden_size, hidden_size] (LSTM) or [3*hidden_size, hidden_size] (GRU)");
        yield return Case("plain RNN", d => { d["weight_ih_l0"] = NdArray.FromFloats(new float[12], 4, 3); d["weight_hh_l0"] = NdArray.FromFloats(new float[16], 4, 4); }, "this is a plain nn.RNN");
    }

    [TestCaseSource(nameof(BadStateDicts))]
    public void BadStateDictsNameTheTensorAndTheProblem(RnnCellType cell, Action<Dictionary<string, NdArray>> change, string message)
    {
        var dict = StateDict(cell, 3, 4, 2, true);
        change(dict);
        var ex = Assert.Throws<ModelFormatException>(() => PyTorchStateDict.ToModel<float>(dict, source: Source));
        Assert.That(ex!.Message, Does.StartWith(Source + ": "));
        Assert.That(ex.Message, Does.Contain(message));
    }

    [Test]
    public void ProjectionLargerThanHiddenIsRefused()
    {
        var dict = StateDict(RnnCellType.Lstm, 3, 4, 1, false, proj: 2);
        dict["weight_hr_l0"] = NdArray.FromFloats(new float[20], 5, 4);
        dict["weight_hh_l0"] = NdArray.FromFloats(new float[80], 16, 5);
        var ex = Assert.Throws<ModelFormatException>(() => PyTorchStateDict.ToModel<float>(dict, source: Source));
        Assert.That(ex!.Message, Does.Contain("proj_size has to be smaller than hidden_size"));
    }
}
