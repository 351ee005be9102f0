using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// 1-D max pooling as PyTorch's <c>nn.MaxPool1d</c> (floor mode): input <c>[B, C, L]</c>, output <c>[B, C, Lout]</c>
/// with <c>Lout = (L + 2 padding - K) / stride + 1</c>; padded positions never win. The gradient flows to the
/// first maximum of each window (overlapping windows add up).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class MaxPool1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _gradInput;
    private int[] _argMax = [];

    /// <summary>Creates the layer; the stride defaults to the kernel size.</summary>
    public MaxPool1d(int kernelSize, int? stride = null, int padding = 0)
    {
        if (kernelSize < 1 || stride is < 1 || padding < 0 || padding > kernelSize / 2)
            throw new ArgumentException("MaxPool1d needs a positive kernel and stride and a padding of at most half the kernel");
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
    }

    /// <summary>Window size.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Implicit -infinity padding on each end.</summary>
    public int Padding { get; }

    /// <summary>Output length for an input of length <paramref name="length"/>.</summary>
    public int OutputLength(int length) => (length + 2 * Padding - KernelSize) / Stride + 1;

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3)
            throw new ArgumentException($"MaxPool1d expects [B, C, L], got {input}");
        int rows = input.Dim(0) * input.Dim(1), len = input.Dim(2);
        if (len + 2 * Padding < KernelSize)
            throw new ArgumentException($"MaxPool1d input length {len} is shorter than the kernel {KernelSize}");
        int outLen = OutputLength(len);
        var output = _output = Tensor<T>.Reuse(_output, [input.Dim(0), input.Dim(1), outLen]);
        if (_argMax.Length != output.Length)
            _argMax = new int[output.Length];
        _input = input;
        ReadOnlySpan<T> x = input.Data;
        Span<T> y = output.Data;
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < outLen; t++)
            {
                int start = t * Stride - Padding, best = -1;
                T max = T.NegativeInfinity;
                for (int j = 0; j < KernelSize; j++)
                {
                    int pos = start + j;
                    if ((uint)pos < (uint)len && (best < 0 || x[r * len + pos] > max || T.IsNaN(x[r * len + pos])))
                    {
                        max = x[r * len + pos];
                        best = pos;
                        if (T.IsNaN(max))
                            break; // NaN propagates, as in PyTorch
                    }
                }
                y[r * outLen + t] = max;
                _argMax[r * outLen + t] = r * len + best;
            }
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var input = RequireForward(_input);
        RequireSameShape(gradOutput, _output!);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, input.Shape);
        gradInput.Clear();
        ReadOnlySpan<T> dy = gradOutput.Data;
        Span<T> dx = gradInput.Data;
        for (int i = 0; i < dy.Length; i++)
            dx[_argMax[i]] += dy[i];
        return gradInput;
    }
}
