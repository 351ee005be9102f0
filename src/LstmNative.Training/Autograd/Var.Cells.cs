namespace LstmNative.Training.Autograd;

// Recurrent cells written with the graph's operations, for loops that step a cell (decoders, attention): a module may
// appear once per graph, these as often as the loop runs.
public sealed partial class Var<T>
{
    /// <summary>
    /// One LSTM step, PyTorch's <c>nn.LSTMCell</c> equations and gate order (i, f, g, o): x <c>[B, I]</c>, h and c
    /// <c>[B, H]</c>, <paramref name="weightIh"/> <c>[4H, I]</c>, <paramref name="weightHh"/> <c>[4H, H]</c>,
    /// <paramref name="bias"/> <c>[4H]</c> (both of PyTorch's biases summed), all on the graph.
    /// </summary>
    public static (Var<T> H, Var<T> C) LstmCell(Var<T> x, Var<T> h, Var<T> c, Var<T> weightIh, Var<T> weightHh, Var<T> bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(weightIh);
        ArgumentNullException.ThrowIfNull(weightHh);
        ArgumentNullException.ThrowIfNull(bias);
        int hidden = h.Dim(-1);
        if (weightIh.Rank != 2 || weightIh.Dim(0) != 4 * hidden || weightHh.Dim(0) != 4 * hidden || weightHh.Dim(1) != hidden || bias.Dim(-1) != 4 * hidden)
            throw new ArgumentException($"LstmCell: weights {weightIh.Describe()}, {weightHh.Describe()}, bias {bias.Describe()} do not fit hidden size {hidden}");
        var gates = x.MatMul(weightIh.Transpose(0, 1)) + h.MatMul(weightHh.Transpose(0, 1)) + bias; // [B, 4H]
        var i = gates.Slice(1, 0, hidden).Sigmoid();
        var f = gates.Slice(1, hidden, hidden).Sigmoid();
        var g = gates.Slice(1, 2 * hidden, hidden).Tanh();
        var o = gates.Slice(1, 3 * hidden, hidden).Sigmoid();
        var cNext = f * c + i * g;
        return (o * cNext.Tanh(), cNext);
    }
}
