using LstmNative.Training.Diagnostics;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;
using LstmNative.Training.Optimizers;

namespace LstmNative.Tutorial.Samples;

/// <summary>
/// Training diagnostics for any model: a <c>GradientFlowLog</c> recorded after each backward pass (grouped per layer
/// as <c>GradientNorms.PerLayer</c>), a <c>StateRecorder</c> on the LSTM, and both as PNGs.
/// </summary>
public static class Diagnostics
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var (x, y) = Toy.NextStep(Toy.Series(200).Select(v => (v - 10) / 3).ToArray(), window: 24);
        var rng = new Random(12);
        var lstm = new Lstm<float>(1, 16, rng, numLayers: 2);
        var model = new Sequential<float>(lstm, new LastTimeStep<float>(), new Linear<float>(16, 1, rng));
        var loss = new MseLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), learningRate: 0.01);
        var flow = new GradientFlowLog();
        for (int step = 0; step < ctx.Epochs(40, 5); step++)
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y);
            model.Backward(loss.Backward());
            flow.Record(optimizer.Parameters); // before clipping
            GradientClipping.ClipByGlobalNorm(optimizer.Parameters, 1.0);
            optimizer.Step();
        }

        using (var recorder = lstm.RecordStates())
        {
            model.Predict(x);
            var states = recorder.Last!; // Hidden and Cell [layers, batch, steps, hidden]
            Directory.CreateDirectory(ctx.OutputDirectory);
            File.WriteAllBytes(Path.Combine(ctx.OutputDirectory, "cell_state.png"), DiagnosticPlots.CellState(states, row: 0, title: "Cell state, first window"));
            double recorded = states.CellStatesOf(row: 0)[1][^1][0], final = lstm.FinalCell!.Data[1 * x.Dim(0) * 16]; // layer 1, row 0, unit 0
            ctx.Print($"recorded {states.Cell}; layer 1's last cell state (row 0, unit 0) {recorded:F5}, FinalCell {final:F5}");
            ctx.Require(Math.Abs(recorded - final) < 1e-5, "the recorded states end where the layer does");
        }
        File.WriteAllBytes(Path.Combine(ctx.OutputDirectory, "gradient_flow.png"), DiagnosticPlots.GradientFlow(flow, title: "Gradient flow, LSTM forecaster"));
        ctx.Print($"layers {string.Join(", ", flow.Layers)}; {flow.Steps.Count} steps; plots in {ctx.OutputDirectory}");
        ctx.Require(flow.Layers.SequenceEqual(["0.layer0", "0.layer1", "2"]), "unexpected layer groups");
        ctx.Require(File.Exists(Path.Combine(ctx.OutputDirectory, "cell_state.png")), "no cell-state plot");
    }
}
