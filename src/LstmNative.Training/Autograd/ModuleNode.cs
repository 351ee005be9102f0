using System.Numerics;
using System.Runtime.CompilerServices;
using LstmNative.Training.Layers;

namespace LstmNative.Training.Autograd;

/// <summary>
/// An existing module as one node of the graph: its <c>Forward</c> runs now, its own fused <c>Backward</c> (e.g. BPTT on
/// the fast engine for <c>Lstm&lt;float&gt;</c>) runs when the graph is back-propagated, and it accumulates its
/// parameters' gradients where the optimizers read them, as it always does.
/// </summary>
public static class ModuleNode
{
    // A module's Backward follows its own last Forward: each call is numbered, and a node refuses to back-propagate
    // through a module that has run forward again since.
    private static readonly ConditionalWeakTable<object, StrongBox<long>> Calls = new();

    /// <summary>
    /// <c>module(x)</c> on the graph. A module may appear once in a graph (its buffers hold one forward); calling it again
    /// before <see cref="Var{T}.Backward()"/> makes that Backward throw instead of returning wrong gradients.
    /// </summary>
    public static Var<T> Call<T>(this IModule<T> module, Var<T> input) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        var counter = Calls.GetValue(module, _ => new StrongBox<long>());
        long call = Interlocked.Increment(ref counter.Value);
        var output = module.Forward(input.Value).Clone(); // the module reuses its output buffer on the next call
        return Var<T>.Result(output, [input], g =>
        {
            if (Volatile.Read(ref counter.Value) != call)
                throw new InvalidOperationException(
                    $"{TypeNames.Friendly(module.GetType())} ran forward again after this graph used it: its Backward would follow the later call. " +
                    "Use a module once per graph, or back-propagate before calling it again");
            var gradInput = module.Backward(g);
            input.Accumulate(gradInput.Data);
        }, forceRequiresGrad: module.Parameters().Any());
    }
}
