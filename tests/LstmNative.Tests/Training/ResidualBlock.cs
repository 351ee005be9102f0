using LstmNative.Training;
using LstmNative.Training.Layers;

namespace LstmNative.Tests.Training;

/// <summary>
/// A custom model written against <see cref="Module{T}"/>: <c>y = x + Linear2(tanh(Linear1(x)))</c>.
/// The skip connection fans x out, so its gradient is the sum of both paths: the pattern custom models follow.
/// </summary>
internal sealed class ResidualBlock : Module<double>
{
    private readonly Linear<double> _in, _out;
    private readonly Tanh<double> _act = new();
    private Tensor<double>? _output, _gradInput;

    public ResidualBlock(int features, int hidden, Random rng)
    {
        _in = RegisterModule("in", new Linear<double>(features, hidden, rng));
        RegisterModule("act", _act);
        _out = RegisterModule("out", new Linear<double>(hidden, features, rng));
    }

    public override Tensor<double> Forward(Tensor<double> input)
    {
        var y = _out.Forward(_act.Forward(_in.Forward(input)));
        var output = _output = Tensor<double>.Reuse(_output, input.Shape);
        for (int i = 0; i < output.Length; i++)
            output.Data[i] = input.Data[i] + y.Data[i];
        return output;
    }

    public override Tensor<double> Backward(Tensor<double> gradOutput)
    {
        var g = _in.Backward(_act.Backward(_out.Backward(gradOutput)));
        var gradInput = _gradInput = Tensor<double>.Reuse(_gradInput, g.Shape);
        for (int i = 0; i < gradInput.Length; i++)
            gradInput.Data[i] = g.Data[i] + gradOutput.Data[i];
        return gradInput;
    }
}
