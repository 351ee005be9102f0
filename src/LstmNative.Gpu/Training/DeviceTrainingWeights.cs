using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Training;

/// <summary>
/// The trainable parameters of a GPU-trained network on the device: one flat float buffer laid out by
/// <see cref="ParameterLayout"/> and a gradient buffer of the same layout (weight upload and download go through
/// one host staging array allocated once).
/// </summary>
public sealed class DeviceTrainingWeights
{
    private readonly DeviceArena _memory;
    private readonly IDeviceQueue _queue;
    private readonly float[] _staging;

    internal DeviceTrainingWeights(DeviceArena memory, ParameterLayout layout)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(layout);
        _memory = memory;
        _queue = memory.Queue;
        Layout = layout;
        Parameters = memory.Allocate(layout.TotalElements * sizeof(float));
        Gradients = memory.Allocate(layout.TotalElements * sizeof(float));
        _staging = new float[layout.TotalElements];
    }

    /// <summary>Where each tensor lives.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>Floats in each of the two buffers.</summary>
    public long Count => Layout.TotalElements;

    internal ulong Parameters { get; }

    internal ulong Gradients { get; }

    /// <summary>Uploads the weights of every layer (and of the head, when the layout has one).</summary>
    public void Upload(IReadOnlyList<LayerWeights<float>> layers, ReadOnlySpan<float> headWeight = default, ReadOnlySpan<float> headBias = default)
    {
        Array.Clear(_staging);
        Layout.Pack(layers, headWeight, headBias, _staging);
        _queue.Upload<float>(Parameters, _staging);
    }

    /// <summary>Downloads the weights into <paramref name="layers"/> (and the head's spans when not empty); waits.</summary>
    public void Download(IReadOnlyList<LayerWeights<float>> layers, Span<float> headWeight = default, Span<float> headBias = default)
    {
        _queue.Download<float>(Parameters, _staging);
        Layout.Unpack(_staging, layers, headWeight, headBias);
    }

    /// <summary>Downloads the accumulated gradients, in the weights' layout; waits.</summary>
    public void DownloadGradients(IReadOnlyList<LayerWeights<float>> layers, Span<float> headWeight = default, Span<float> headBias = default)
    {
        _queue.Download<float>(Gradients, _staging);
        Layout.Unpack(_staging, layers, headWeight, headBias);
    }

    /// <summary>The accumulated gradients as new per-layer weights (for tests and tools; allocates).</summary>
    public LayerWeights<float>[] DownloadGradients()
    {
        var result = Layout.NewWeights();
        DownloadGradients(result);
        return result;
    }

    /// <summary>Copies the whole flat parameter buffer (padding included).</summary>
    public void DownloadFlat(Span<float> destination, bool gradients = false)
    {
        if (destination.Length != Count)
            throw new ArgumentException($"the flat buffer holds {Count} floats, the destination {destination.Length}");
        _queue.Download(gradients ? Gradients : Parameters, destination);
    }

    /// <summary>Queues clearing every gradient (PyTorch's zero_grad).</summary>
    public void ZeroGradients() => _queue.Zero(Gradients, Count * sizeof(float));
}
