using LstmNative.Engines;
using LstmNative.Model;
using LstmNative.Onnx;
using LstmNative.Reference;
using NUnit.Framework;
using static LstmNative.Tests.Conformance.ConformanceCatalog;

namespace LstmNative.Tests.Conformance;

/// <summary>
/// Runs every ONNX-shaped golden case of the shared conformance material (ONNX generators, ONNX Runtime, TFLite
/// converted to ONNX layout) three times: the float64 reference through <see cref="OnnxRnnOperator"/>, the fast CPU
/// engine (float32, SIMD) through <see cref="OnnxRnnOperator"/> (the path the CLI takes), and the float32 reference
/// through <see cref="ReferenceRnn"/> directly with an independent layout conversion.
/// </summary>
public class OnnxConformanceTests
{
    public static IEnumerable<TestCaseData> OnnxGeneratedCases() => CaseData(OnnxGenerated);

    public static IEnumerable<TestCaseData> OnnxRuntimeCases() => CaseData(OnnxRuntime);

    public static IEnumerable<TestCaseData> TfliteCases() => CaseData(Tflite);

    [TestCaseSource(nameof(OnnxGeneratedCases))]
    public void OnnxGeneratedGolden(string id) => Check(LoadOnnxGenerated(Require(id)));

    [TestCaseSource(nameof(OnnxRuntimeCases))]
    public void OnnxRuntimeGolden(string id) => Check(LoadOnnxRuntime(Require(id)));

    [TestCaseSource(nameof(TfliteCases))]
    public void TfliteGolden(string id) => Check(LoadTflite(Require(id)));

    private static string Require(string id)
    {
        TestPaths.RequireConformance();
        return id;
    }

    private static void Check(OnnxConformanceCase c)
    {
        Assert.That(c.Expected, Is.Not.Empty, $"{c.Id}: no golden outputs, nothing to check");
        var op = new OnnxRnnOperator(c.Attributes, OnnxRnnTensors.FromRoles(c.Inputs), ReferenceLayerEngine<double>.Default);
        var f64 = op.Forward();
        var cpu = new OnnxRnnOperator(c.Attributes, OnnxRnnTensors.FromRoles(c.Inputs)).Forward();
        var (f32, trace32) = ForwardFloat32(op.Options, c);
        Assert.Multiple(() =>
        {
            foreach (var (role, expected) in c.Expected)
            {
                GoldenComparison.AssertClose($"{c.Id} {role} float64 reference (OnnxRnnOperator)", f64[role], expected, c.Tolerance);
                GoldenComparison.AssertClose($"{c.Id} {role} CPU engine (OnnxRnnOperator)", cpu[role], expected, c.Tolerance);
                GoldenComparison.AssertClose($"{c.Id} {role} float32 (ReferenceRnn<float>)", f32[role], expected, c.Tolerance);
            }
            if (c.CellStateBound is { } bound)
            {
                // TFLite clips the cell state at this bound; the ONNX node cannot. The case is only a fair comparison
                // while no valid step reaches the bound, as its note claims: check the claim instead of trusting it.
                double maxC = MaxAbsValidCellState(trace32);
                Assert.That(maxC, Is.LessThan(bound), $"{c.Id}: TFLite's cell clip {bound} would trigger (|c| reaches {maxC}), so the ONNX-layout golden is not reproducible without it");
            }
        });
    }

    /// <summary>
    /// The case in float32 through <see cref="ReferenceRnn.Forward{T}"/>, converting ONNX layout 1 by axis permutation
    /// here rather than through the operator, so a layout bug in either is caught by the other.
    /// </summary>
    private static (Dictionary<string, NdArray> Outputs, LayerTrace<float> Trace) ForwardFloat32(RnnLayerOptions options, OnnxConformanceCase c)
    {
        bool batchMajor = c.Attributes.Layout == 1;
        var inputs = c.Inputs;
        var weights = GateOrder.FromOnnx<float>(options, inputs["W"].ToFloats(), inputs["R"].ToFloats(),
            inputs.TryGetValue("B", out var b) ? b.ToFloats() : [], inputs.TryGetValue("P", out var p) ? p.ToFloats() : []);
        var x = inputs["X"];
        int steps = batchMajor ? x.Shape[1] : x.Shape[0], batch = batchMajor ? x.Shape[0] : x.Shape[1];
        float[] xs = batchMajor ? GoldenComparison.Permute(x.ToFloats(), x.Shape, [1, 0, 2]) : x.ToFloats();
        float[] State(string role) => inputs.TryGetValue(role, out var s)
            ? (batchMajor ? GoldenComparison.Permute(s.ToFloats(), s.Shape, [1, 0, 2]) : s.ToFloats())
            : [];
        int[] lengths = inputs.TryGetValue("sequence_lens", out var sl) ? sl.ToInt32s() : [];
        var trace = ReferenceRnn.Forward<float>(weights, xs, steps, batch, lengths, State("initial_h"),
            options.Cell == RnnCellType.Lstm ? State("initial_c") : []);

        int dirs = options.DirectionCount, h = options.HiddenSize;
        int[] yShape = [steps, dirs, batch, h], stateShape = [dirs, batch, h];
        NdArray Out(float[] data, int[] shape, int[] toBatchMajor) => batchMajor
            ? new NdArray(GoldenComparison.Permute(data, shape, toBatchMajor), toBatchMajor.Select(k => shape[k]).ToArray())
            : new NdArray(data, shape);
        var outputs = new Dictionary<string, NdArray>
        {
            ["Y"] = Out(trace.Y, yShape, [2, 0, 1, 3]),          // [T, D, B, H] -> [B, T, D, H]
            ["Y_h"] = Out(trace.Yh, stateShape, [1, 0, 2]),      // [D, B, H] -> [B, D, H]
        };
        if (options.Cell == RnnCellType.Lstm)
            outputs["Y_c"] = Out(trace.Yc, stateShape, [1, 0, 2]);
        return (outputs, trace);
    }

    private static double MaxAbsValidCellState(LayerTrace<float> trace)
    {
        // Cell states of steps past a sequence's end are never written (zero), so the maximum over all is the valid maximum.
        double max = 0;
        foreach (float v in trace.CellStates)
            max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
