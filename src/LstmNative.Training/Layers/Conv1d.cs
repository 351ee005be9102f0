using System.Numerics;
using LstmNative.Training.Init;

namespace LstmNative.Training.Layers;

/// <summary>
/// 1-D convolution (cross-correlation) as PyTorch's <c>nn.Conv1d</c>: input <c>[B, C, L]</c>, weight <c>[O, C, K]</c>,
/// bias <c>[O]</c>, zero padding on both ends, output <c>[B, O, Lout]</c> with
/// <c>Lout = (L + 2 padding - dilation (K - 1) - 1) / stride + 1</c>.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Conv1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _gradInput;

    /// <summary>Creates the layer with PyTorch's default init: weight and bias uniform in ±1/sqrt(C K).</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, Random random, int stride = 1, int padding = 0, int dilation = 1, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1 || stride < 1 || padding < 0 || dilation < 1)
            throw new ArgumentException("Conv1d needs positive channels, kernel, stride and dilation and a non-negative padding");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        double bound = 1.0 / Math.Sqrt(inChannels * kernelSize);
        Weight = RegisterParameter("weight", new Tensor<T>(outChannels, inChannels, kernelSize));
        Initializers.Uniform<T>(Weight.Value.Data, bound, random);
        if (bias)
        {
            Bias = RegisterParameter("bias", new Tensor<T>(outChannels));
            Initializers.Uniform<T>(Bias.Value.Data, bound, random);
        }
    }

    /// <summary>C.</summary>
    public int InChannels { get; }

    /// <summary>O.</summary>
    public int OutChannels { get; }

    /// <summary>K.</summary>
    public int KernelSize { get; }

    /// <summary>Step between output positions.</summary>
    public int Stride { get; }

    /// <summary>Zeros added on each end.</summary>
    public int Padding { get; }

    /// <summary>Spacing between kernel taps.</summary>
    public int Dilation { get; }

    /// <summary>Weight <c>[O, C, K]</c>.</summary>
    public Parameter<T> Weight { get; }

    /// <summary>Bias <c>[O]</c>, or null.</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>Output length for an input of length <paramref name="length"/>.</summary>
    public int OutputLength(int length) => (length + 2 * Padding - Dilation * (KernelSize - 1) - 1) / Stride + 1;

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Dim(1) != InChannels)
            throw new ArgumentException($"Conv1d expects [B, {InChannels}, L], got {input}");
        int b = input.Dim(0), len = input.Dim(2), outLen = OutputLength(len);
        if (len + 2 * Padding - Dilation * (KernelSize - 1) - 1 < 0)
            throw new ArgumentException($"Conv1d input length {len} is shorter than the (dilated) kernel");
        var output = _output = Tensor<T>.Reuse(_output, [b, OutChannels, outLen]);
        _input = input;
        ReadOnlySpan<T> x = input.Data, w = Weight.Value.Data;
        Span<T> y = output.Data;
        int c = InChannels, k = KernelSize;
        for (int n = 0; n < b; n++)
            for (int o = 0; o < OutChannels; o++)
                for (int t = 0; t < outLen; t++)
                {
                    T acc = Bias is null ? T.Zero : Bias.Value.Data[o];
                    int start = t * Stride - Padding;
                    for (int ci = 0; ci < c; ci++)
                    {
                        var xr = x.Slice((n * c + ci) * len, len);
                        var wr = w.Slice((o * c + ci) * k, k);
                        for (int j = 0; j < k; j++)
                        {
                            int pos = start + j * Dilation;
                            if ((uint)pos < (uint)len)
                                acc += wr[j] * xr[pos];
                        }
                    }
                    y[(n * OutChannels + o) * outLen + t] = acc;
                }
        return output;
    }

    /// <inheritdoc/>
    public override Tensor<T> Backward(Tensor<T> gradOutput)
    {
        var input = RequireForward(_input);
        var output = _output!;
        RequireSameShape(gradOutput, output);
        var gradInput = _gradInput = Tensor<T>.Reuse(_gradInput, input.Shape);
        gradInput.Clear();
        int b = input.Dim(0), len = input.Dim(2), outLen = output.Dim(2), c = InChannels, k = KernelSize;
        ReadOnlySpan<T> x = input.Data, w = Weight.Value.Data, dy = gradOutput.Data;
        Span<T> dx = gradInput.Data, dw = Weight.Grad.Data;
        for (int n = 0; n < b; n++)
            for (int o = 0; o < OutChannels; o++)
                for (int t = 0; t < outLen; t++)
                {
                    T g = dy[(n * OutChannels + o) * outLen + t];
                    if (Bias is not null)
                        Bias.Grad.Data[o] += g;
                    int start = t * Stride - Padding;
                    for (int ci = 0; ci < c; ci++)
                    {
                        int xAt = (n * c + ci) * len, wAt = (o * c + ci) * k;
                        for (int j = 0; j < k; j++)
                        {
                            int pos = start + j * Dilation;
                            if ((uint)pos < (uint)len)
                            {
                                dx[xAt + pos] += g * w[wAt + j];
                                dw[wAt + j] += g * x[xAt + pos];
                            }
                        }
                    }
                }
        return gradInput;
    }
}
