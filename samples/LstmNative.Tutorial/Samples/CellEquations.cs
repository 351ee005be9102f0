using LstmNative.Training;
using LstmNative.Training.Layers;

namespace LstmNative.Tutorial.Samples;

/// <summary>One LSTM step, <c>(h, c) = cell.Forward(x, h, c)</c>, against the gate equations in PyTorch's gate order i, f, g, o.</summary>
public static class CellEquations
{
    /// <summary>Runs the sample.</summary>
    public static void Run(SampleContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        const int input = 3, hidden = 4, batch = 2;
        var rng = new Random(0);
        var cell = new LstmCell<double>(input, hidden, rng);
        var p = cell.Parameters().ToDictionary(q => q.Name, q => q.Value.Data);
        double[] x = Values(rng, batch * input), h = Values(rng, batch * hidden), c = Values(rng, batch * hidden);

        var (h1, c1) = cell.Forward(new Tensor<double>(x, batch, input), new Tensor<double>(h, batch, hidden), new Tensor<double>(c, batch, hidden));

        double worst = 0;
        for (int b = 0; b < batch; b++)
        {
            // gates = W_ih x + b_ih + W_hh h + b_hh, four blocks of H rows: i, f, g, o
            var gates = new double[4 * hidden];
            for (int r = 0; r < 4 * hidden; r++)
            {
                gates[r] = p["bias_ih"][r] + p["bias_hh"][r];
                for (int j = 0; j < input; j++)
                    gates[r] += p["weight_ih"][r * input + j] * x[b * input + j];
                for (int j = 0; j < hidden; j++)
                    gates[r] += p["weight_hh"][r * hidden + j] * h[b * hidden + j];
            }
            for (int u = 0; u < hidden; u++)
            {
                double i = Sigmoid(gates[u]), f = Sigmoid(gates[hidden + u]), g = Math.Tanh(gates[2 * hidden + u]), o = Sigmoid(gates[3 * hidden + u]);
                double cNew = f * c[b * hidden + u] + i * g;
                double hNew = o * Math.Tanh(cNew);
                worst = Math.Max(worst, Math.Max(Math.Abs(cNew - c1.Data[b * hidden + u]), Math.Abs(hNew - h1.Data[b * hidden + u])));
            }
        }
        ctx.Print($"max |cell - equations| over h and c: {worst:G3}");
        ctx.Require(worst < 1e-12, $"the cell differs from its equations by {worst}");
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private static double[] Values(Random rng, int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
}
