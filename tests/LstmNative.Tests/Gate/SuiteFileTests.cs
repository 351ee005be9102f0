using Google.Protobuf;
using LstmNative.PerfGate;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Suite;
using LstmNative.Tests.Formats;
using NUnit.Framework;

namespace LstmNative.Tests.Gate;

/// <summary>User suites: a JSON file naming ONNX models and the sizes to time them at.</summary>
public class SuiteFileTests
{
    /// <summary>Writes a bidirectional LSTM as model.onnx and a suite naming it; returns the suite's path.</summary>
    internal static string WriteSuite(string folder, string casesJson = """[{ "name": "tiny", "model": "model.onnx", "batch": 2, "steps": 3 }]""")
    {
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), OnnxBuilder.FullLstm(new Random(7), out _, finite: true).ToByteArray());
        string path = Path.Combine(folder, "suite.json");
        File.WriteAllText(path, $$"""{ "suite": "my-models", "version": 3, "cases": {{casesJson}} }""");
        return path;
    }

    [Test]
    public void ReadsCasesAndPreparesAnOnnxModel()
    {
        using var dir = new TempFolder();
        var suite = SuiteFile.Load(WriteSuite(dir.Path, """[{ "name": "tiny", "model": "model.onnx", "batch": 2, "steps": 3, "threads": 1, "device": "auto", "mode": "run" }]"""));
        Assert.That((suite.Id, suite.Cases.Count), Is.EqualTo(("my-models/3", 1)));
        var prepared = suite.Cases[0].Prepare();
        using (prepared.Workload)
        {
            prepared.Workload.Run();
            Assert.That(prepared.Clock, Is.EqualTo(ThreadCpuClock.IsAvailable ? ClockKind.ThreadCpu : ClockKind.Wall));
            Assert.That(prepared.Config, Does.Contain("LSTM bidirectional I=3 H=2").And.Contain("peepholes").And.Contain("B=2 T=3 threads=1"));
        }
    }

    [Test]
    public void SeveralThreadsAreTimedOnTheWallClock()
    {
        using var dir = new TempFolder();
        var suite = SuiteFile.Load(WriteSuite(dir.Path, """[{ "name": "two", "model": "model.onnx", "batch": 2, "steps": 3, "threads": 2 }]"""));
        Assert.That(((EngineCase)suite.Cases[0]).Clock, Is.EqualTo(ClockKind.Wall));
    }

    private static IEnumerable<TestCaseData> Defects()
    {
        TestCaseData Case(string name, string cases, string message) => new TestCaseData(cases, message).SetName($"SuiteDefect_{name}");
        yield return Case("Typo", """[{ "name": "a", "model": "model.onnx", "bach": 1, "batch": 1, "steps": 3 }]""", "bach: unknown property");
        yield return Case("Cuda", """[{ "name": "a", "model": "model.onnx", "batch": 1, "steps": 3, "device": "cuda" }]""", "CUDA engine cannot run gate cases");
        yield return Case("Device", """[{ "name": "a", "model": "model.onnx", "batch": 1, "steps": 3, "device": "tpu" }]""", "expected cpu, cuda or auto");
        yield return Case("Batch", """[{ "name": "a", "model": "model.onnx", "batch": 0, "steps": 3 }]""", "batch: expected an integer between 1");
        yield return Case("Name", """[{ "name": "a b", "model": "model.onnx", "batch": 1, "steps": 3 }]""", "letters, digits");
        yield return Case("Twice", """[{ "name": "a", "model": "model.onnx", "batch": 1, "steps": 3 }, { "name": "a", "model": "model.onnx", "batch": 2, "steps": 3 }]""", "two cases named 'a'");
        yield return Case("Format", """[{ "name": "a", "model": "model.pt", "batch": 1, "steps": 3 }]""", "unknown model format '.pt'");
        yield return Case("CpuClockWithThreads", """[{ "name": "a", "model": "model.onnx", "batch": 1, "steps": 3, "threads": 2, "clock": "thread-cpu" }]""", "cannot time 2 threads");
        yield return Case("Empty", "[]", "no cases");
    }

    [TestCaseSource(nameof(Defects))]
    public void DefectIsAClearError(string cases, string message)
    {
        using var dir = new TempFolder();
        string path = WriteSuite(dir.Path, cases);
        Assert.That(() => SuiteFile.Load(path), Throws.TypeOf<GateException>().With.Message.Contains(message));
    }

    [Test]
    public void ModelsThatCannotLoadFailWhenPrepared()
    {
        using var dir = new TempFolder();
        string path = WriteSuite(dir.Path, """
            [{ "name": "missing", "model": "nope.onnx", "batch": 1, "steps": 3 },
             { "name": "garbage", "model": "garbage.onnx", "batch": 1, "steps": 3 },
             { "name": "st", "model": "model.safetensors", "batch": 1, "steps": 3 }]
            """);
        File.WriteAllBytes(Path.Combine(dir.Path, "garbage.onnx"), [1, 2, 3, 4, 5]);
        var suite = SuiteFile.Load(path);
        Assert.That(() => suite.Cases[0].Prepare(), Throws.TypeOf<GateException>().With.Message.Contains("model file not found"));
        Assert.That(() => suite.Cases[1].Prepare(), Throws.TypeOf<GateException>().With.Message.Contains("cannot be loaded"));
        Assert.That(() => suite.Cases[2].Prepare(), Throws.TypeOf<GateException>().With.Message.Contains("safetensors models are not supported by this build yet"));
    }

    [Test]
    public void WeightsThatAreGraphInputsAreRefused()
    {
        using var dir = new TempFolder();
        string path = WriteSuite(dir.Path, """[{ "name": "gru", "model": "gru.onnx", "batch": 1, "steps": 3 }]""");
        File.WriteAllBytes(Path.Combine(dir.Path, "gru.onnx"), OnnxBuilder.SimpleGru().ToByteArray());
        Assert.That(() => SuiteFile.Load(path).Cases[0].Prepare(), Throws.TypeOf<GateException>().With.Message.Contains("is a graph input, not an initializer"));
    }

    [Test]
    public void BuiltInSuiteIsValidAndPreparesEveryCase()
    {
        var suite = BuiltInSuite.Create();
        Assert.That(suite.Id, Is.EqualTo($"{BuiltInSuite.Name}/{BuiltInSuite.Version}"));
        foreach (var c in suite.Cases)
        {
            var prepared = c.Prepare();
            using (prepared.Workload)
                prepared.Workload.Run();
        }
    }
}

/// <summary>A temporary folder removed on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("lstmnative-gate-").FullName;

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
