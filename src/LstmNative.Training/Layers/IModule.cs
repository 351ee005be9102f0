using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// A layer with a hand-written backward pass: the seam every block of a model plugs into, the recurrent
/// layers included. There is no autograd: <see cref="Forward"/> caches what <see cref="Backward"/> needs,
/// and <see cref="Backward"/> must follow the <see cref="Forward"/> whose output it differentiates.
/// </summary>
/// <remarks>
/// Contract: <see cref="Forward"/> and <see cref="Backward"/> return tensors the module owns and reuses, valid until
/// its next call (identity-like layers may return their argument or a view of it, so callers never write into a
/// returned tensor). The next call with the same shapes overwrites them in place, so training loops allocate nothing;
/// to keep a result, <see cref="Tensor{T}.Clone"/> it, or call <see cref="ModuleExtensions.Predict{T}"/>, which returns
/// a tensor the caller owns. <see cref="Backward"/> returns the gradient with respect to the input (overwritten, not accumulated)
/// and adds the parameter gradients into <see cref="Parameter{T}.Grad"/> (accumulated until the optimizer clears them).
/// A module instance appears once per model: calling it twice in one forward pass would overwrite its cache.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public interface IModule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Computes the output, caching what <see cref="Backward"/> needs. The result is the module's buffer, overwritten by
    /// its next call: <c>Clone()</c> it to keep it, or use <see cref="ModuleExtensions.Predict{T}"/> for inference.
    /// </summary>
    Tensor<T> Forward(Tensor<T> input);

    /// <summary>Given dLoss/dOutput of the last <see cref="Forward"/>, returns dLoss/dInput and accumulates parameter gradients.</summary>
    Tensor<T> Backward(Tensor<T> gradOutput);

    /// <summary>Every trainable parameter, children's included, named by dotted path, in a fixed order.</summary>
    IEnumerable<Parameter<T>> Parameters();

    /// <summary>Every non-trainable state tensor (running statistics), children's included, in a fixed order.</summary>
    IEnumerable<NamedTensor<T>> Buffers();

    /// <summary>Training mode (dropout active, batch statistics) or evaluation mode; setting it reaches every child.</summary>
    bool IsTraining { get; set; }
}

/// <summary>Chaining helpers for <see cref="IModule{T}"/>.</summary>
public static class ModuleExtensions
{
    /// <summary>Switches the module and its children to training mode (dropout active, batch statistics).</summary>
    public static void Train<T>(this IModule<T> module) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        module.IsTraining = true;
    }

    /// <summary>Switches the module and its children to evaluation mode (dropout off, running statistics).</summary>
    public static void Eval<T>(this IModule<T> module) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        module.IsTraining = false;
    }

    /// <summary>
    /// Inference: runs <paramref name="input"/> through the module in evaluation mode (dropout off, running statistics)
    /// and returns a new tensor the caller owns, which later calls never overwrite (unlike <see cref="IModule{T}.Forward"/>'s
    /// result, the module's reused buffer). The module's training mode is restored afterwards.
    /// </summary>
    public static Tensor<T> Predict<T>(this IModule<T> module, Tensor<T> input) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        bool training = module.IsTraining;
        if (training)
            module.IsTraining = false;
        try
        {
            return module.Forward(input).Clone();
        }
        finally
        {
            if (training)
                module.IsTraining = true;
        }
    }

    /// <summary>Clears the gradients of every parameter of the module.</summary>
    public static void ZeroGrad<T>(this IModule<T> module) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var p in module.Parameters())
            p.Grad.Clear();
    }

    /// <summary>Total number of trainable scalars.</summary>
    public static long ParameterCount<T>(this IModule<T> module) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        long n = 0;
        foreach (var p in module.Parameters())
            n += p.Value.Length;
        return n;
    }
}
