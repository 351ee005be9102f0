using System.Numerics;
using LstmNative.Training.Init;

namespace LstmNative.Training.Layers;

/// <summary>
/// Affine map over the last axis: <c>y = x W^T + b</c>, input <c>[..., In]</c>, output <c>[..., Out]</c>;
/// weight <c>[Out, In]</c> and bias <c>[Out]</c> as in PyTorch's <c>nn.Linear</c>.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Linear<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _gradInput;

    /// <summary>Creates the layer with PyTorch's default init: weight and bias uniform in ±1/sqrt(In).</summary>
    public Linear(int inFeatures, int outFeatures, Random random, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentException($"Linear needs positive sizes, got {inFeatures} -> {outFeatures}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", new Tensor<T>(outFeatures, inFeatures));
        Initializers.Uniform<T>(Weight.Value.Data, bound, random);
        if (bias)
        {
            Bias = RegisterParameter("bias", new Tensor<T>(outFeatures));
            Initializers.Uniform<T>(Bias.Value.Data, bound, random);
        }
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight <c>[Out, In]</c>.</summary>
    public Parameter<T> Weight { get; }

    /// <summary>Bias <c>[Out]</c>, or null.</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 1 || input.Dim(-1) != InFeatures)
            throw new ArgumentException($"Linear expects [..., {InFeatures}], got {input}");
        Span<int> shape = stackalloc int[input.Rank];
        input.Shape.CopyTo(shape);
        shape[^1] = OutFeatures;
        var output = _output = Tensor<T>.Reuse(_output, shape);
        _input = input;

        int rows = input.Length / InFeatures;
        ReadOnlySpan<T> x = input.Data, w = Weight.Value.Data;
        Span<T> y = output.Data;
        for (int n = 0; n < rows; n++)
        {
            var xr = x.Slice(n * InFeatures, InFeatures);
            for (int o = 0; o < OutFeatures; o++)
            {
                T acc = Bias is null ? T.Zero : Bias.Value.Data[o];
                var wr = w.Slice(o * InFeatures, InFeatures);
                for (int i = 0; i < xr.Length; i++)
                    acc += wr[i] * xr[i];
                y[n * OutFeatures + o] = acc;
            }
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

        int rows = input.Length / InFeatures;
        ReadOnlySpan<T> x = input.Data, w = Weight.Value.Data, dy = gradOutput.Data;
        Span<T> dx = gradInput.Data, dw = Weight.Grad.Data;
        Span<T> db = Bias is null ? default : Bias.Grad.Data;
        for (int n = 0; n < rows; n++)
        {
            var xr = x.Slice(n * InFeatures, InFeatures);
            var dxr = dx.Slice(n * InFeatures, InFeatures);
            for (int o = 0; o < OutFeatures; o++)
            {
                T g = dy[n * OutFeatures + o];
                if (!db.IsEmpty)
                    db[o] += g;
                var wr = w.Slice(o * InFeatures, InFeatures);
                var dwr = dw.Slice(o * InFeatures, InFeatures);
                for (int i = 0; i < xr.Length; i++)
                {
                    dxr[i] += g * wr[i];
                    dwr[i] += g * xr[i];
                }
            }
        }
        return gradInput;
    }
}
