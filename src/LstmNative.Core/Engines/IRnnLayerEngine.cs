using System.Numerics;
using LstmNative.Model;
using LstmNative.Reference;

namespace LstmNative.Engines;

/// <summary>
/// The one seam for "run one layer on engine X": the training modules (<c>Lstm&lt;T&gt;</c>, the cells, the state
/// recorder, forecasting, translation), the ONNX operator and the GPU's layer runner all go through it. Its shape
/// mirrors <see cref="ReferenceRnn"/>: one layer, time-major, forward then backward from the pass object. Swapping
/// engines changes speed, never results beyond float rounding. Implementations: <see cref="CpuLayerEngine"/> (the fast
/// CPU engine, float), <see cref="ReferenceLayerEngine{T}"/> (the scalar oracle), <see cref="CpuPackedLayerEngine"/>
/// (inference on packed fp32/bf16/int8 weights) and the GPU's <c>GpuLayerRunner</c> (inference).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IRnnLayerEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A short name for logs and reports (<c>reference</c>, <c>cpu-avx2</c>, <c>cuda</c>).</summary>
    string Name { get; }

    /// <summary>Runs one layer forward and keeps what its backward pass needs.</summary>
    /// <param name="weights">The layer.</param>
    /// <param name="x">Input <c>[T, B, I]</c>.</param>
    /// <param name="steps">Sequence length <c>T</c>.</param>
    /// <param name="batch">Batch size <c>B</c>.</param>
    /// <param name="sequenceLengths">Valid steps per batch row in [0, T], or empty for all <c>T</c>. Nothing is computed
    /// past a row's length: its outputs there are zero, its final state is its last valid one, its reverse direction
    /// starts at its own last step (ONNX's <c>sequence_lens</c>, PyTorch's packed sequences), and backward ignores
    /// gradients there.</param>
    /// <param name="h0">Initial hidden state <c>[D, B, H]</c>, or empty for zeros.</param>
    /// <param name="c0">Initial cell state <c>[D, B, H]</c> (LSTM), or empty for zeros.</param>
    RnnLayerPass<T> Forward(LayerWeights<T> weights, ReadOnlySpan<T> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths,
        ReadOnlySpan<T> h0, ReadOnlySpan<T> c0);
}

/// <summary>One layer's forward pass as an engine returns it: the outputs, and the way back.</summary>
/// <typeparam name="T">float or double.</typeparam>
public abstract class RnnLayerPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Output sequence <c>[T, D, B, H]</c>.</summary>
    public abstract T[] Y { get; }

    /// <summary>Final hidden state <c>[D, B, H]</c>.</summary>
    public abstract T[] Hn { get; }

    /// <summary>Final cell state <c>[D, B, H]</c> (LSTM; empty for GRU).</summary>
    public abstract T[] Cn { get; }

    /// <summary>Back-propagates upstream gradients (each may be empty for zero) through this pass.</summary>
    /// <param name="dY">dL/dY <c>[T, D, B, H]</c>.</param>
    /// <param name="dHn">dL/d(final hidden) <c>[D, B, H]</c>.</param>
    /// <param name="dCn">dL/d(final cell) <c>[D, B, H]</c>.</param>
    /// <exception cref="NotSupportedException">The engine is for inference only.</exception>
    public abstract LayerGradients<T> Backward(ReadOnlySpan<T> dY, ReadOnlySpan<T> dHn, ReadOnlySpan<T> dCn);
}
