using System.Numerics;

namespace LstmNative.Training.Autograd;

/// <summary>
/// A tensor that remembers how it was computed, for reverse-mode differentiation (PyTorch's <c>Tensor</c> with
/// <c>requires_grad</c>). Operations on <see cref="Var{T}"/> build a graph as they run; <see cref="Backward()"/> walks it
/// back from a scalar once and leaves <c>dLoss/dx</c> in each leaf's <see cref="Grad"/>. A leaf made from a module
/// parameter (<see cref="Parameter(Parameter{T})"/>) accumulates straight into <see cref="Parameter{T}.Grad"/>, so the
/// optimizers, clipping and schedulers work unchanged; an existing module joins the graph as one node with its own
/// backward (<see cref="ModuleNode.Call{T}(Layers.IModule{T}, Var{T})"/>).
/// </summary>
/// <remarks>
/// Every operation allocates its result (and its gradient during <see cref="Backward()"/>); the fused engine paths
/// (recurrent layers, whole modules) are one node each and keep their own buffers. A graph belongs to the thread that
/// builds it; <see cref="NoGrad"/> is per thread.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public sealed partial class Var<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Var<T>[] _parents;
    private Action<Tensor<T>>? _backward;
    private Tensor<T>? _grad;
    private bool _consumed;

    private Var(Tensor<T> value, bool requiresGrad, Var<T>[] parents, Action<Tensor<T>>? backward, Tensor<T>? grad)
    {
        Value = value;
        RequiresGrad = requiresGrad;
        _parents = parents;
        _backward = backward;
        _grad = grad;
    }

    /// <summary>A leaf holding <paramref name="value"/> (not copied).</summary>
    /// <param name="value">The data.</param>
    /// <param name="requiresGrad">Whether <see cref="Backward()"/> computes its gradient (PyTorch's <c>requires_grad</c>).</param>
    public Var(Tensor<T> value, bool requiresGrad = false)
        : this(value ?? throw new ArgumentNullException(nameof(value)), requiresGrad, [], null, null)
    {
    }

    /// <summary>A leaf sharing a module parameter's value; its gradient accumulates into <see cref="Parameter{T}.Grad"/>.</summary>
    public static Var<T> Parameter(Parameter<T> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return new Var<T>(parameter.Value, true, [], null, parameter.Grad);
    }

    /// <summary>A constant (no gradient) of the given shape and values.</summary>
    public static Var<T> Constant(T[] data, params int[] shape) => new(new Tensor<T>(data, shape));

    /// <summary>The values.</summary>
    public Tensor<T> Value { get; }

    /// <summary>dLoss/dthis after <see cref="Backward()"/> (null when it was not needed or not reached).</summary>
    public Tensor<T>? Grad => _grad;

    /// <summary>Whether a gradient flows to this value.</summary>
    public bool RequiresGrad { get; }

    /// <summary>Whether this value was computed (false for leaves).</summary>
    public bool IsLeaf => _parents.Length == 0;

    /// <summary>The shape.</summary>
    public ReadOnlySpan<int> Shape => Value.Shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Value.Rank;

    /// <summary>Size of <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis) => Value.Dim(axis);

    /// <summary>The single value of a one-element tensor (PyTorch's <c>item()</c>).</summary>
    public T Item() => Value.Length == 1 ? Value.Data[0] : throw new InvalidOperationException($"Item() needs one element, {Describe()} has {Value.Length}");

    /// <summary>The same values, cut from the graph (PyTorch's <c>detach()</c>).</summary>
    public Var<T> Detach() => new(Value);

    /// <summary>Back-propagates from this scalar (its gradient is 1).</summary>
    public void Backward()
    {
        if (Value.Length != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a scalar; {Describe()} has {Value.Length} elements (pass the gradient)");
        var one = new Tensor<T>(Value.Shape.ToArray());
        one.Data[0] = T.One;
        Backward(one);
    }

    /// <summary>Back-propagates from this value with dLoss/dthis = <paramref name="gradient"/>.</summary>
    /// <exception cref="InvalidOperationException">The graph was already back-propagated, or nothing in it needs a gradient.</exception>
    public void Backward(Tensor<T> gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        if (!gradient.HasShape(Value.Shape))
            throw new ArgumentException($"the gradient {gradient} does not match {Describe()}");
        if (!RequiresGrad)
            throw new InvalidOperationException($"{Describe()} does not require a gradient: nothing it was computed from is a parameter or a leaf with requiresGrad");
        var order = TopologicalOrder();
        Accumulate(gradient.Data);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            if (node._consumed)
                throw new InvalidOperationException("this graph was already back-propagated: build it again (one Backward per forward, as PyTorch without retain_graph)");
            if (node._backward is { } step && node._grad is { } g)
                step(g);
            if (!node.IsLeaf)
            {
                node._consumed = true;
                node._backward = null; // what the closure captured can go
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => Describe();

    internal string Describe() => "Var" + Tensor<T>.FormatShape(Value.Shape);

    /// <summary>Adds <paramref name="gradient"/> into this node's gradient (allocated at the first contribution).</summary>
    internal void Accumulate(ReadOnlySpan<T> gradient)
    {
        if (!RequiresGrad)
            return;
        _grad ??= new Tensor<T>(Value.Shape.ToArray());
        var g = _grad.Data.AsSpan();
        for (int i = 0; i < g.Length; i++)
            g[i] += gradient[i];
    }

    /// <summary>The result of an operation on <paramref name="parents"/>; <paramref name="backward"/> receives dLoss/dresult.</summary>
    /// <param name="value">The result.</param>
    /// <param name="parents">What it was computed from.</param>
    /// <param name="backward">Receives dLoss/dresult; adds each parent's share into it.</param>
    /// <param name="forceRequiresGrad">Run <paramref name="backward"/> even when no parent needs a gradient (a module node
    /// accumulates its own parameters' gradients).</param>
    internal static Var<T> Result(Tensor<T> value, Var<T>[] parents, Action<Tensor<T>> backward, bool forceRequiresGrad = false)
    {
        bool requires = !NoGrad.IsActive && (forceRequiresGrad || parents.Any(p => p.RequiresGrad));
        return requires ? new Var<T>(value, true, parents, backward, null) : new Var<T>(value);
    }

    private List<Var<T>> TopologicalOrder()
    {
        var order = new List<Var<T>>();
        var seen = new HashSet<Var<T>>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Var<T> Node, int Next)>();
        stack.Push((this, 0));
        seen.Add(this);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node._parents.Length)
            {
                stack.Push((node, next + 1));
                var parent = node._parents[next];
                if (parent.RequiresGrad && seen.Add(parent))
                    stack.Push((parent, 0));
            }
            else
            {
                order.Add(node); // parents before children
            }
        }
        return order;
    }
}
