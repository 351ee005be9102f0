using System.Numerics;

namespace LstmNative.Training.Optimizers;

/// <summary>Gradient clipping, applied between the backward pass and the optimizer step.</summary>
public static class GradientClipping
{
    /// <summary>Clamps every gradient element to [-clipValue, clipValue] (PyTorch's <c>clip_grad_value_</c>).</summary>
    public static void ClipByValue<T>(IEnumerable<Parameter<T>> parameters, double clipValue) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue > 0))
            throw new ArgumentException($"clip value must be positive, got {clipValue}");
        T hi = T.CreateChecked(clipValue), lo = -hi;
        foreach (var p in parameters)
        {
            var g = p.Grad.Span;
            for (int i = 0; i < g.Length; i++)
                g[i] = T.Clamp(g[i], lo, hi);
        }
    }

    /// <summary>
    /// Scales all gradients together so their global L2 norm is at most <paramref name="maxNorm"/>
    /// (PyTorch's <c>clip_grad_norm_</c>: factor <c>maxNorm / (norm + 1e-6)</c> when below 1).
    /// Returns the global norm before clipping, the number worth logging to spot exploding gradients.
    /// </summary>
    public static double ClipByGlobalNorm<T>(IEnumerable<Parameter<T>> parameters, double maxNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0))
            throw new ArgumentException($"max norm must be positive, got {maxNorm}");
        var list = parameters as IReadOnlyList<Parameter<T>> ?? parameters.ToArray();
        double norm = GradientNorms.Global(list);
        double factor = maxNorm / (norm + 1e-6);
        if (factor < 1)
        {
            T f = T.CreateChecked(factor);
            foreach (var p in list)
            {
                var g = p.Grad.Span;
                for (int i = 0; i < g.Length; i++)
                    g[i] *= f;
            }
        }
        return norm;
    }
}
