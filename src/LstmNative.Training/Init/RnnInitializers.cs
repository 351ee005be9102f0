using System.Numerics;
using LstmNative.Model;

namespace LstmNative.Training.Init;

/// <summary>
/// Initializers for recurrent layer weights in the engine's internal layout (LSTM i, f, g, o; GRU r, z, n).
/// </summary>
/// <remarks>
/// The training modules (<c>Lstm</c>, <c>Gru</c>, <c>LstmCell</c>, <c>GruCell</c>) start from <see cref="Initialize{T}"/>,
/// Keras' defaults (Xavier-uniform input weights, orthogonal recurrent weights, zero biases, LSTM forget-gate bias 1),
/// which train more reliably than PyTorch's. PyTorch's <c>nn.LSTM</c>/<c>nn.GRU</c> instead draw every weight and
/// bias uniformly from ±1/sqrt(hidden); to start exactly as PyTorch would (up to its random stream), call
/// <see cref="InitializeLikePyTorch{T}(LayerWeights{T}, Random)"/> on each layer, e.g.
/// <c>foreach (var layer in lstm.Weights.Layers) RnnInitializers.InitializeLikePyTorch(layer, random);</c>.
/// </remarks>
public static class RnnInitializers
{
    /// <summary>Internal gate block of the LSTM forget gate (order i, f, g, o).</summary>
    public const int LstmForgetGateBlock = 1;

    /// <summary>
    /// Keras-style defaults per direction: input weights <c>W[G*H, I]</c> Xavier uniform (fan-in I, fan-out G*H),
    /// recurrent weights <c>R[G*H, H]</c> orthogonal, biases and peepholes zero, then for LSTM the forget-gate bias
    /// set to <paramref name="forgetBias"/> (see <see cref="SetForgetGateBias{T}"/>).
    /// </summary>
    public static void Initialize<T>(LayerWeights<T> weights, Random random, double forgetBias = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(random);
        foreach (var d in weights.Directions)
        {
            int gh = d.Gates * d.HiddenSize;
            Initializers.XavierUniform<T>(d.W, d.InputSize, gh, random);
            Initializers.Orthogonal<T>(d.R, gh, d.HiddenSize, random);
            Array.Clear(d.Bw);
            Array.Clear(d.Br);
            if (d.P is not null)
                Array.Clear(d.P);
        }
        if (weights.Options.Cell == RnnCellType.Lstm)
            SetForgetGateBias(weights, forgetBias);
    }

    /// <summary>
    /// PyTorch's <c>reset_parameters</c> for <c>nn.LSTM</c>/<c>nn.GRU</c>/<c>nn.LSTMCell</c>/<c>nn.GRUCell</c>: every
    /// weight, bias (and peephole) uniform in ±1/sqrt(hidden size), no forget-gate bias.
    /// </summary>
    public static void InitializeLikePyTorch<T>(LayerWeights<T> weights, Random random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(random);
        double bound = 1.0 / Math.Sqrt(weights.Options.HiddenSize);
        foreach (var d in weights.Directions)
            foreach (var array in d.Parameters())
                Initializers.Uniform<T>(array, bound, random);
    }

    /// <summary>
    /// Sets the LSTM forget-gate bias of every direction so the effective bias <c>Bw + Br</c> of the forget block is
    /// exactly <paramref name="value"/>: <c>Bw</c>'s block 1 gets the value and <c>Br</c>'s block 1 gets zero.
    /// A positive bias keeps the cell state flowing early in training (Jozefowicz et al., 2015).
    /// </summary>
    public static void SetForgetGateBias<T>(LayerWeights<T> weights, double value = 1.0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Options.Cell != RnnCellType.Lstm)
            throw new ArgumentException("the forget-gate bias applies to LSTM layers only");
        int h = weights.Options.HiddenSize;
        foreach (var d in weights.Directions)
        {
            d.Bw.AsSpan(LstmForgetGateBlock * h, h).Fill(T.CreateChecked(value));
            d.Br.AsSpan(LstmForgetGateBlock * h, h).Clear();
        }
    }
}
