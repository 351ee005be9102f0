using System.Numerics;

namespace LstmNative.Training.Layers;

/// <summary>
/// A deep copy of a model's state (parameter values and buffers such as running statistics) that can be written
/// back into the same model, or one of the same architecture. Gradients and optimizer state are not included.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class ModelSnapshot<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly (string Name, T[] Data)[] _tensors;

    private ModelSnapshot((string Name, T[] Data)[] tensors) => _tensors = tensors;

    /// <summary>Copies the model's parameters and buffers.</summary>
    public static ModelSnapshot<T> Capture(IModule<T> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ModelSnapshot<T>(State(model).Select(s => (s.Name, (T[])s.Value.Data.Clone())).ToArray());
    }

    /// <summary>Overwrites the model's parameters and buffers with the captured values.</summary>
    public void RestoreTo(IModule<T> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = State(model).ToArray();
        if (state.Length != _tensors.Length)
            throw new ArgumentException($"the snapshot holds {_tensors.Length} tensors but the model has {state.Length}");
        for (int i = 0; i < state.Length; i++)
        {
            var (name, data) = _tensors[i];
            if (state[i].Name != name || state[i].Value.Length != data.Length)
                throw new ArgumentException($"snapshot tensor '{name}' ({data.Length} values) does not match model tensor '{state[i].Name}' ({state[i].Value.Length} values)");
        }
        for (int i = 0; i < state.Length; i++)
            _tensors[i].Data.CopyTo(state[i].Value.Data, 0);
    }

    private static IEnumerable<(string Name, Tensor<T> Value)> State(IModule<T> model) =>
        model.Parameters().Select(p => (p.Name, p.Value)).Concat(model.Buffers().Select(b => (b.Name, b.Value)));
}
