using System.Numerics;
using LstmNative.Model;

namespace LstmNative.Training.Layers;

/// <summary>
/// The seam between the recurrent training modules and the engine that runs one layer: the scalar reference today,
/// the SIMD CPU or CUDA engine later. Its shape mirrors <c>ReferenceRnn</c>: one layer, time-major, forward then
/// backward from the pass object. Swapping engines changes speed, never results beyond float rounding.
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
    /// <param name="sequenceLengths">
    /// Valid steps per batch row in [0, T] (ONNX <c>sequence_lens</c>, PyTorch packed sequences: no compute past a row's
    /// length, outputs zero there, final state at the row's last valid step); empty means every row runs all T steps.
    /// </param>
    /// <param name="h0">Initial hidden state <c>[D, B, H]</c>, or empty for zeros.</param>
    /// <param name="c0">Initial cell state <c>[D, B, H]</c> (LSTM), or empty for zeros.</param>
    RnnLayerPass<T> Forward(LayerWeights<T> weights, ReadOnlySpan<T> x, int steps, int batch, ReadOnlySpan<int> sequenceLengths, ReadOnlySpan<T> h0, ReadOnlySpan<T> c0);
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
    public abstract RnnLayerGradients<T> Backward(ReadOnlySpan<T> dY, ReadOnlySpan<T> dHn, ReadOnlySpan<T> dCn);
}

/// <summary>Gradients of one layer pass.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="DX">dL/dx <c>[T, B, I]</c>.</param>
/// <param name="DH0">dL/d(initial hidden) <c>[D, B, H]</c>.</param>
/// <param name="DC0">dL/d(initial cell) <c>[D, B, H]</c> (LSTM; empty for GRU).</param>
/// <param name="Weights">dL/d(every weight), in the weights' internal layout.</param>
public sealed record RnnLayerGradients<T>(T[] DX, T[] DH0, T[] DC0, LayerWeights<T> Weights) where T : unmanaged, IFloatingPointIeee754<T>;
