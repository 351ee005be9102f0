using Google.Protobuf;
using LstmNative.Engines;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Onnx;
using LstmNative.Tests.Formats;
using NUnit.Framework;
using static LstmNative.Tests.Formats.OnnxBuilder;

namespace LstmNative.Tests.Cli;

/// <summary>The lstmnative CLI's run/backward behaviour and its error contract: one line on stderr, non-zero exit, no partial files.</summary>
public class CliTests
{
    /// <summary>Writes FullLstm (bidirectional, batch-major, peepholes, clip, input_forget) plus its inputs; returns the arg list.</summary>
    private static List<string> FullLstmCase(CliHarness cli, Random rng, out Dictionary<string, NdArray> weights, int batch = 2, int steps = 3)
    {
        File.WriteAllBytes(cli.PathOf("model.onnx"), FullLstm(rng, out weights, finite: true).ToByteArray());
        NpyWriter.Write(cli.PathOf("x.npy"), FormatTestData.UniformFloats(rng, [batch, steps, 3], 2));
        NpyWriter.Write(cli.PathOf("h0.npy"), FormatTestData.UniformFloats(rng, [batch, 2, 2]));
        return ["--input", $"X={cli.PathOf("x.npy")}", "--input", $"h0={cli.PathOf("h0.npy")}", "--output-dir", cli.PathOf("out")];
    }

    /// <summary>FullLstmCase's node inputs as the operator takes them (X and h0 read back from the files the CLI read).</summary>
    private static OnnxRnnTensors FullLstmTensors(CliHarness cli, Dictionary<string, NdArray> weights) => new()
    {
        X = NpyReader.Read(cli.PathOf("x.npy")),
        W = weights["W"],
        R = weights["R"],
        B = weights["B"],
        InitialH = NpyReader.Read(cli.PathOf("h0.npy")),
        P = weights["P"],
    };

    [Test]
    public void RunWritesEveryGraphOutputAndMatchesTheOperator()
    {
        using var cli = new CliHarness();
        var rng = FormatTestData.Rng();
        var args = FullLstmCase(cli, rng, out var weights);
        var (exit, stdout, err) = cli.Run(["run", cli.PathOf("model.onnx"), .. args]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Is.Empty, "run prints nothing without --verbose");
        // The graph's outputs are Y and Y_h (Y_c is a node output but not a graph output).
        Assert.That(Directory.GetFiles(cli.PathOf("out")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "Y.npy", "Y_h.npy" }));

        var model = OnnxModelReader.Load(cli.PathOf("model.onnx"));
        var op = new OnnxRnnOperator(model.Attributes, FullLstmTensors(cli, weights), ReferenceLayerEngine<double>.Default);
        var expected = op.Forward();
        var y = NpyReader.Read(cli.PathOf("out/Y.npy"));
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 3, 2, 2 }), "layout 1: Y is [B, T, D, H]");
        // The CLI runs the fast CPU engine (float32); the expectation is the float64 reference.
        Assert.That(y.ToFloats(), Is.EqualTo(expected["Y"].ToFloats()).Within(1e-5));
        Assert.That(NpyReader.Read(cli.PathOf("out/Y_h.npy")).ToFloats(), Is.EqualTo(expected["Y_h"].ToFloats()).Within(1e-5));
    }

    [TestCase("bf16", 1e-2)]
    [TestCase("int8", 2e-2)]
    public void RunWithReducedPrecisionStaysCloseToTheReference(string precision, double tolerance)
    {
        using var cli = new CliHarness();
        var rng = FormatTestData.Rng();
        var args = FullLstmCase(cli, rng, out var weights, batch: 3, steps: 20);
        var (exit, stdout, err) = cli.Run(["run", cli.PathOf("model.onnx"), .. args, "--precision", precision, "--verbose"]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain($"({precision} weights)"));
        var model = OnnxModelReader.Load(cli.PathOf("model.onnx"));
        var expected = new OnnxRnnOperator(model.Attributes, FullLstmTensors(cli, weights), ReferenceLayerEngine<double>.Default).Forward();
        Assert.That(NpyReader.Read(cli.PathOf("out/Y.npy")).ToFloats(), Is.EqualTo(expected["Y"].ToFloats()).Within(tolerance));
    }

    /// <summary>
    /// <c>--precision int8-static --calibrate</c> on a single-node ONNX model (batch-major, bidirectional, peepholes, clip):
    /// the calibration sequences are read in the node's layout, and the result is exactly the API's with the same
    /// calibration (<see cref="LstmNative.Cpu.Int8Calibrator"/> over the node's float32 weights), within the int8 bound
    /// of the reference.
    /// </summary>
    [Test]
    public void RunOnnxWithStaticInt8UsesTheCalibrationSequences()
    {
        using var cli = new CliHarness();
        var rng = FormatTestData.Rng();
        var args = FullLstmCase(cli, rng, out var weights, batch: 3, steps: 20);
        // Static int8 saturates outside the calibrated ranges, and the calibrator starts every sequence from a zero state:
        // run from a zero initial state too (a random h0 in ±1 lies beyond the ~0.6 hidden range such a small node reaches,
        // and its first step saturates: max |ΔY| 0.03-0.16 where dynamic int8 gives 0.004), on sequences like X.
        NpyWriter.Write(cli.PathOf("h0.npy"), new NdArray(new float[3 * 2 * 2], [3, 2, 2]));
        int calBatch = rng.Next(4, 9), calSteps = 20; // as long as X: the hidden state grows over the steps
        var calibration = FormatTestData.UniformFloats(rng, [calBatch, calSteps, 3], 2); // layout 1: [B, T, I]
        NpyWriter.Write(cli.PathOf("calib.npy"), calibration);
        var (exit, stdout, err) = cli.Run(["run", cli.PathOf("model.onnx"), .. args, "--precision", "int8-static", "--calibrate", cli.PathOf("calib.npy"), "--verbose"]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("(int8-static weights)"));

        var model = OnnxModelReader.Load(cli.PathOf("model.onnx"));
        OnnxRnnTensors Tensors() => FullLstmTensors(cli, weights);
        var layer = new OnnxRnnOperator(model.Attributes, Tensors()).Weights.Convert<float>();
        var timeMajor = new float[calibration.Length];
        var c = calibration.ToFloats();
        for (int b = 0; b < calBatch; b++)
            for (int t = 0; t < calSteps; t++)
                Array.Copy(c, (b * calSteps + t) * 3, timeMajor, (t * calBatch + b) * 3, 3);
        using var calibrator = new LstmNative.Cpu.Int8Calibrator([layer], calBatch, calSteps);
        calibrator.Observe(timeMajor, calSteps, calBatch);
        var ranges = calibrator.ToCalibration().Layers[0];
        var api = new OnnxRnnOperator(model.Attributes, Tensors()) { Precision = LstmNative.Cpu.CpuPrecision.Int8, CalibratedRanges = ranges }.Forward();
        var y = NpyReader.Read(cli.PathOf("out/Y.npy")).ToFloats();
        Assert.That(y, Is.EqualTo(api["Y"].ToFloats()), "the API's result with the same calibration, exactly");
        var dynamic = new OnnxRnnOperator(model.Attributes, Tensors()) { Precision = LstmNative.Cpu.CpuPrecision.Int8 }.Forward();
        Assert.That(y, Is.Not.EqualTo(dynamic["Y"].ToFloats()), "fixed scales, not the dynamic ones");
        var expected = new OnnxRnnOperator(model.Attributes, Tensors(), ReferenceLayerEngine<double>.Default).Forward();
        Assert.That(y, Is.EqualTo(expected["Y"].ToFloats()).Within(2e-2));
    }

    [Test]
    public void RepeatGivesTheSameResultAndVerboseReports()
    {
        using var cli = new CliHarness();
        var args = FullLstmCase(cli, FormatTestData.Rng(), out _);
        Assert.That(cli.Run(["run", cli.PathOf("model.onnx"), .. args]).Exit, Is.Zero);
        var once = NpyReader.Read(cli.PathOf("out/Y.npy")).ToFloats();
        var (exit, stdout, _) = cli.Run(["run", cli.PathOf("model.onnx"), .. args, "--repeat", "3", "--verbose"]);
        Assert.That(exit, Is.Zero);
        Assert.That(NpyReader.Read(cli.PathOf("out/Y.npy")).ToFloats(), Is.EqualTo(once));
        Assert.That(stdout, Does.Contain("3 run(s)").And.Contain("wrote Y.npy"));
    }

    [Test]
    public void BackwardWritesGradientsInEachInputsShapeAndTheyMatchFiniteDifferences()
    {
        using var cli = new CliHarness();
        var rng = FormatTestData.Rng();
        var args = FullLstmCase(cli, rng, out var weights);
        var dyh = FormatTestData.UniformFloats(rng, [2, 2, 2]);
        NpyWriter.Write(cli.PathOf("dyh.npy"), dyh);
        var (exit, _, err) = cli.Run(["backward", cli.PathOf("model.onnx"), .. args, "--grad", $"Y_h={cli.PathOf("dyh.npy")}"]);
        Assert.That(exit, Is.Zero, err);
        var files = Directory.GetFiles(cli.PathOf("out")).Select(Path.GetFileName).Order().ToArray();
        Assert.That(files, Is.EqualTo(new[] { "grad_B.npy", "grad_P.npy", "grad_R.npy", "grad_W.npy", "grad_X.npy", "grad_h0.npy" }));
        Assert.That(NpyReader.Read(cli.PathOf("out/grad_X.npy")).Shape, Is.EqualTo(new[] { 2, 3, 3 }));
        Assert.That(NpyReader.Read(cli.PathOf("out/grad_h0.npy")).Shape, Is.EqualTo(new[] { 2, 2, 2 }));
        Assert.That(NpyReader.Read(cli.PathOf("out/grad_P.npy")).Shape, Is.EqualTo(new[] { 2, 6 }));

        // Finite differences through the CLI's own run command on X (float64 inside, float32 files: eps 1e-3).
        var gradX = NpyReader.Read(cli.PathOf("out/grad_X.npy")).ToDoubles();
        var x = NpyReader.Read(cli.PathOf("x.npy"));
        var dyhValues = dyh.ToDoubles();
        double LossAt(float[] xv)
        {
            NpyWriter.Write(cli.PathOf("x.npy"), new NdArray(xv, x.Shape));
            Assert.That(cli.Run(["run", cli.PathOf("model.onnx"), .. args]).Exit, Is.Zero);
            var yh = NpyReader.Read(cli.PathOf("out/Y_h.npy")).ToDoubles();
            return yh.Select((v, i) => v * dyhValues[i]).Sum();
        }
        var baseX = x.ToFloats();
        double At(int k, float delta)
        {
            var moved = (float[])baseX.Clone();
            moved[k] += delta;
            return LossAt(moved);
        }
        // The model clips at 3.5 and has a HardSigmoid: where a pre-activation sits within a step of such a kink, a
        // difference that straddles it measures neither side's slope, and a kink very close to x fools two central
        // differences alike. So a coordinate counts only where the forward and backward differences agree (a kink on
        // either side within h shows as a jump between them, twice the central difference's own error) and the central
        // differences at h and 2h agree (a kink between h and 2h); three such coordinates must be found.
        const float h = 5e-3f;
        double l0 = LossAt(baseX);
        int checkedCount = 0;
        foreach (int k in Enumerable.Range(0, baseX.Length).OrderBy(_ => rng.Next()))
        {
            double up = At(k, h), down = At(k, -h), up2 = At(k, 2 * h), down2 = At(k, -2 * h);
            double numeric = (up - down) / (2 * h), wide = (up2 - down2) / (4 * h);
            double forward = (up - l0) / h, backward = (l0 - down) / h;
            double tolerance = 1e-3 + 1e-2 * Math.Abs(numeric);
            if (Math.Abs(forward - backward) > tolerance || Math.Abs(wide - numeric) > tolerance)
                continue;
            Assert.That(gradX[k], Is.EqualTo(numeric).Within(2e-3 + 1e-2 * Math.Abs(numeric)), $"grad_X[{k}]");
            if (++checkedCount == 3)
                break;
        }
        Assert.That(checkedCount, Is.EqualTo(3), "smooth coordinates found for the finite-difference check");
    }

    [Test]
    public void BackwardWithoutGradientsGivesZeros()
    {
        using var cli = new CliHarness();
        var args = FullLstmCase(cli, FormatTestData.Rng(), out _);
        var (exit, _, err) = cli.Run(["backward", cli.PathOf("model.onnx"), .. args]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(NpyReader.Read(cli.PathOf("out/grad_W.npy")).ToFloats(), Is.All.EqualTo(0f));
    }

    public static IEnumerable<TestCaseData> ErrorCases()
    {
        yield return Case("missing model file", c => ["run", c.PathOf("nope.onnx"), "--output-dir", c.PathOf("out")], "model file not found");
        yield return Case("truncated model", c =>
        {
            var bytes = File.ReadAllBytes(c.PathOf("model.onnx"));
            File.WriteAllBytes(c.PathOf("model.onnx"), bytes[..(bytes.Length / 2)]);
            return ["run", c.PathOf("model.onnx"), .. c.Args];
        }, "model.onnx");
        yield return Case("unsupported operator", c =>
        {
            var relu = OnnxBuilder.Model(Graph([Node("Relu", "act", ["X"], ["Y"])], [Input("X", DType.Float32, 2, 2)], ["Y"]));
            File.WriteAllBytes(c.PathOf("relu.onnx"), relu.ToByteArray());
            return ["run", c.PathOf("relu.onnx"), "--input", $"X={c.PathOf("x.npy")}", "--output-dir", c.PathOf("out")];
        }, "unsupported ONNX operator 'Relu'");
        yield return Case("missing input", c => ["run", c.PathOf("model.onnx"), "--input", $"X={c.PathOf("x.npy")}", "--output-dir", c.PathOf("out")], "missing input 'h0'");
        yield return Case("unknown input", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--input", $"Z={c.PathOf("x.npy")}"], "unknown input 'Z'");
        yield return Case("missing input file", c => ["run", c.PathOf("model.onnx"), "--input", $"X={c.PathOf("gone.npy")}", "--input", $"h0={c.PathOf("h0.npy")}", "--output-dir", c.PathOf("out")], "file not found");
        yield return Case("truncated npy", c =>
        {
            var bytes = File.ReadAllBytes(c.PathOf("x.npy"));
            File.WriteAllBytes(c.PathOf("x.npy"), bytes[..(bytes.Length - 5)]);
            return ["run", c.PathOf("model.onnx"), .. c.Args];
        }, "x.npy");
        yield return Case("wrong dtype", c =>
        {
            NpyWriter.Write(c.PathOf("x.npy"), new NdArray(new double[2 * 3 * 3], [2, 3, 3]));
            return ["run", c.PathOf("model.onnx"), .. c.Args];
        }, "input 'X': expected float32, got float64");
        yield return Case("wrong rank", c =>
        {
            NpyWriter.Write(c.PathOf("x.npy"), new NdArray(new float[6], [2, 3]));
            return ["run", c.PathOf("model.onnx"), .. c.Args];
        }, "expected shape [?, ?, 3], got [2, 3]");
        yield return Case("wrong input size", c =>
        {
            NpyWriter.Write(c.PathOf("x.npy"), new NdArray(new float[2 * 3 * 4], [2, 3, 4]));
            return ["run", c.PathOf("model.onnx"), .. c.Args];
        }, "expected shape [?, ?, 3], got [2, 3, 4]");
        yield return Case("batch mismatch between inputs", c =>
        {
            NpyWriter.Write(c.PathOf("h0.npy"), new NdArray(new float[3 * 2 * 2], [3, 2, 2]));
            return ["run", c.PathOf("model.onnx"), .. c.Args];
        }, "initial_h: expected shape [2, 2, 2]");
        yield return Case("bad pair", c => ["run", c.PathOf("model.onnx"), "--input", "X", "--output-dir", c.PathOf("out")], "--input expects NAME=FILE.npy");
        yield return Case("bad device", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--device", "tpu"], "tpu");
        yield return Case("bad repeat", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--repeat", "0"], "--repeat must be at least 1");
        yield return Case("bad precision", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--precision", "fp16"], "fp16");
        yield return Case("reduced precision on cuda", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--precision", "int8", "--device", "cuda"], "--precision int8 runs on the CPU only");
        yield return Case("static int8 without calibration data", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--precision", "int8-static"], "--precision int8-static needs --calibrate");
        yield return Case("calibration data without static int8", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--calibrate", c.PathOf("x.npy")], "--calibrate applies to --precision int8-static only");
        yield return Case("static int8 calibrated on sequences of the wrong size", c =>
        {
            NpyWriter.Write(c.PathOf("calib.npy"), new NdArray(new float[2 * 3 * 4], [2, 3, 4]));
            return ["run", c.PathOf("model.onnx"), .. c.Args, "--precision", "int8-static", "--calibrate", c.PathOf("calib.npy")];
        }, "--calibrate input has shape [2, 3, 4]: expected [batch, seq, 3] (the node's layout)");
        yield return Case("static int8 calibrated on a missing file", c => ["run", c.PathOf("model.onnx"), .. c.Args, "--precision", "int8-static", "--calibrate", c.PathOf("none.npy")],
            "--calibrate: file not found");
        yield return Case("static int8 on an exported graph", c =>
        {
            OnnxExporter.Save(c.PathOf("graph.onnx"), new LstmNative.Layers.RnnModel<float>(new LstmNative.Layers.RnnOptions(RnnCellType.Lstm, 3, 2, NumLayers: 2)));
            return ["run", c.PathOf("graph.onnx"), "--input", $"input={c.PathOf("x.npy")}", "--output-dir", c.PathOf("out"), "--precision", "int8-static", "--calibrate", c.PathOf("x.npy")];
        }, "--precision int8-static applies to single-node ONNX models and safetensors state dicts only");
        yield return Case("reduced precision on an exported graph", c =>
        {
            OnnxExporter.Save(c.PathOf("graph.onnx"), new LstmNative.Layers.RnnModel<float>(new LstmNative.Layers.RnnOptions(RnnCellType.Gru, 3, 2, NumLayers: 2)));
            return ["run", c.PathOf("graph.onnx"), "--input", $"input={c.PathOf("x.npy")}", "--output-dir", c.PathOf("out"), "--precision", "bf16"];
        }, "--precision bf16 applies to single-node ONNX models and safetensors state dicts only");
        yield return Case("unknown gradient output", c =>
        {
            NpyWriter.Write(c.PathOf("g.npy"), new NdArray(new float[8], [2, 2, 2]));
            return ["backward", c.PathOf("model.onnx"), .. c.Args, "--grad", $"Q={c.PathOf("g.npy")}"];
        }, "--grad Q: no such output");
        yield return Case("gradient of the wrong shape", c =>
        {
            NpyWriter.Write(c.PathOf("g.npy"), new NdArray(new float[4], [2, 2]));
            return ["backward", c.PathOf("model.onnx"), .. c.Args, "--grad", $"Y_h={c.PathOf("g.npy")}"];
        }, "gradient of Y_h: expected shape [2, 2, 2]");
        yield return Case("output folder is a file", c =>
        {
            File.WriteAllText(c.PathOf("taken"), "x");
            return ["run", c.PathOf("model.onnx"), "--input", $"X={c.PathOf("x.npy")}", "--input", $"h0={c.PathOf("h0.npy")}", "--output-dir", c.PathOf("taken")];
        }, "cannot create output folder");
        yield return Case("no command", _ => [], "lstmnative");
        yield return Case("backward given a folder", c =>
        {
            Directory.CreateDirectory(c.PathOf("case"));
            return ["backward", c.PathOf("case"), "--output-dir", c.PathOf("out")];
        }, "is a folder: give the model file");
    }

    private static TestCaseData Case(string name, Func<ErrorContext, string[]> args, string expected) =>
        new TestCaseData(args, expected).SetArgDisplayNames(name);

    /// <summary>A prepared FullLstm case: the harness plus the working argument tail.</summary>
    public sealed record ErrorContext(CliHarness Cli, List<string> Args)
    {
        public string PathOf(string name) => Cli.PathOf(name);
    }

    [TestCaseSource(nameof(ErrorCases))]
    public void ErrorsAreOneLineWithNonZeroExitAndNoPartialOutput(Func<ErrorContext, string[]> makeArgs, string expected)
    {
        using var cli = new CliHarness();
        var args = FullLstmCase(cli, FormatTestData.Rng(), out _);
        var (exit, stdout, err) = cli.Run(makeArgs(new ErrorContext(cli, args)));
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.Not.Zero);
            Assert.That(err.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), $"one line on stderr, got: {err}");
            Assert.That(err, Does.StartWith("lstmnative: error: ").And.Contain(expected));
            Assert.That(err, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(stdout, Is.Empty);
            Assert.That(!Directory.Exists(cli.PathOf("out")) || Directory.GetFiles(cli.PathOf("out")).Length == 0, "no partial output");
        });
    }

    [Test]
    public void AFailedRunLeavesEarlierResultsIntact()
    {
        using var cli = new CliHarness();
        var args = FullLstmCase(cli, FormatTestData.Rng(), out _);
        Assert.That(cli.Run(["run", cli.PathOf("model.onnx"), .. args]).Exit, Is.Zero);
        var before = File.ReadAllBytes(cli.PathOf("out/Y.npy"));
        NpyWriter.Write(cli.PathOf("x.npy"), new NdArray(new float[4], [2, 2]));
        Assert.That(cli.Run(["run", cli.PathOf("model.onnx"), .. args]).Exit, Is.Not.Zero);
        Assert.That(File.ReadAllBytes(cli.PathOf("out/Y.npy")), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(cli.PathOf("out")), Has.Length.EqualTo(2), "no temp files left behind");
    }

    [Test]
    public void RunAndBackwardRefuseToWriteAnOutputOverOneOfTheirInputs()
    {
        using var cli = new CliHarness();
        FullLstmCase(cli, FormatTestData.Rng(), out _);
        // h0 lives where the run would write Y_h: running would silently replace the user's input.
        Directory.CreateDirectory(cli.PathOf("out"));
        File.Move(cli.PathOf("h0.npy"), cli.PathOf("out/Y_h.npy"));
        var h0 = File.ReadAllBytes(cli.PathOf("out/Y_h.npy"));
        string[] inputs = ["--input", $"X={cli.PathOf("x.npy")}", "--input", $"h0={cli.PathOf("out/Y_h.npy")}", "--output-dir", cli.PathOf("out")];

        var run = cli.Run(["run", cli.PathOf("model.onnx"), .. inputs]);
        Assert.That(run.Exit, Is.EqualTo(1), run.Err);
        Assert.That(run.Err.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
        Assert.That(run.Err, Does.Contain("output Y_h").And.Contain("would destroy it"));
        Assert.That(File.ReadAllBytes(cli.PathOf("out/Y_h.npy")), Is.EqualTo(h0));
        Assert.That(Directory.GetFiles(cli.PathOf("out")), Has.Length.EqualTo(1), "nothing else written either");

        // backward writes grad_<input>.npy: an upstream gradient stored under that name is an input too.
        NpyWriter.Write(cli.PathOf("out/grad_X.npy"), new NdArray(new float[8], [2, 2, 2]));
        var back = cli.Run(["backward", cli.PathOf("model.onnx"), "--input", $"X={cli.PathOf("x.npy")}", "--input", $"h0={cli.PathOf("out/Y_h.npy")}",
            "--output-dir", cli.PathOf("out"), "--grad", $"Y_h={cli.PathOf("out/grad_X.npy")}"]);
        Assert.That(back.Exit, Is.EqualTo(1), back.Err);
        Assert.That(back.Err, Does.Contain("would destroy it"));
        Assert.That(File.ReadAllBytes(cli.PathOf("out/Y_h.npy")), Is.EqualTo(h0));
    }

    [TestCase("--steps", "2000000000", "over the demo's limit")]
    [TestCase("--batch", "2000000000", "over the demo's limit")]
    [TestCase("--hidden", "100000", "--hidden 100000 is over the demo's limit")]
    public void DemoRefusesSizesItCannotHoldInOneLine(string option, string value, string expected)
    {
        // Found by the CLI audit: these overflowed into "internal error (OverflowException)" or ran for minutes.
        using var cli = new CliHarness();
        var args = new Dictionary<string, string> { ["--hidden"] = "4", ["--steps"] = "2", ["--batch"] = "1" };
        args[option] = value;
        var (exit, stdout, err) = cli.Run(["demo", .. args.SelectMany(a => new[] { a.Key, a.Value })]);
        Assert.That(exit, Is.EqualTo(1), err);
        Assert.That(err.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain(expected));
        Assert.That(stdout, Is.Empty);
    }

    [TestCase(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'", "lstmnative --help")]
    [TestCase(new[] { "translate", "bogus" }, "Unrecognized command or argument 'bogus'", "lstmnative translate --help")]
    [TestCase(new[] { "translate", "eval", "--model", "m" }, "Option '--source' is required", "lstmnative translate eval --help")]
    [TestCase(new[] { "translate", "run", "--model", "m", "--bogus" }, "'--bogus'", "lstmnative translate run --help")]
    [TestCase(new[] { "run", "m.onnx", "-o", "d", "--device", "gpu" }, "Must be one of: 'cpu' 'cuda' 'auto'", "lstmnative run --help")]
    public void AMalformedCommandLineNamesTheWrongWordAndTheFullCommandsHelp(string[] args, string message, string help)
    {
        using var cli = new CliHarness();
        var (exit, stdout, err) = cli.Run(args);
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(stdout, Is.Empty);
            Assert.That(err.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.Contain(message).And.Contain($"(see '{help}')"));
            Assert.That(err, Does.Not.Contain("\\u0009").And.Not.Contain("\t"), "the parser's tabs become spaces");
        });
    }

    [Test]
    public void NaNInputsPropagateAsNaN()
    {
        using var cli = new CliHarness();
        var args = FullLstmCase(cli, FormatTestData.Rng(), out _);
        var x = NpyReader.Read(cli.PathOf("x.npy")).ToFloats();
        x[0] = float.NaN;
        NpyWriter.Write(cli.PathOf("x.npy"), new NdArray(x, [2, 3, 3]));
        Assert.That(cli.Run(["run", cli.PathOf("model.onnx"), .. args]).Exit, Is.Zero);
        var y = NpyReader.Read(cli.PathOf("out/Y.npy")).ToFloats();
        Assert.That(y.Any(float.IsNaN), Is.True);
    }
}
