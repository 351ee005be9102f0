using LstmNative.Cuda;
using LstmNative.Gpu.Inference;
using LstmNative.Model;

namespace LstmNative.Gpu;

/// <summary>
/// One layer's weights on the device, in the engine's internal layout (gate blocks LSTM i, f, g, o / GRU r, z, n),
/// directions stacked: <c>W[D, G·H, I]</c>, <c>R[D, G·H, H]</c>, <c>Bw[D, G·H]</c>, <c>Br[D, G·H]</c>, <c>P[D, 3H]</c>
/// (LSTM peepholes i, f, o, or null). Row-major, as <see cref="DirectionWeights{T}"/> holds them.
/// </summary>
public sealed class DeviceLayerWeights : IDisposable, ILayerWeightsOnDevice
{
    private DeviceLayerWeights(RnnLayerOptions options, DeviceBuffer<float> w, DeviceBuffer<float> r, DeviceBuffer<float> bw, DeviceBuffer<float> br, DeviceBuffer<float>? p)
    {
        Options = options;
        W = w;
        R = r;
        Bw = bw;
        Br = br;
        P = p;
    }

    /// <summary>The layer's shape and attributes.</summary>
    public RnnLayerOptions Options { get; }

    /// <summary>Input weights <c>[D, G·H, I]</c>.</summary>
    public DeviceBuffer<float> W { get; }

    /// <summary>Recurrent weights <c>[D, G·H, H]</c>.</summary>
    public DeviceBuffer<float> R { get; }

    /// <summary>Input-side biases <c>[D, G·H]</c>.</summary>
    public DeviceBuffer<float> Bw { get; }

    /// <summary>Recurrent-side biases <c>[D, G·H]</c>.</summary>
    public DeviceBuffer<float> Br { get; }

    /// <summary>Peepholes <c>[D, 3H]</c>, or null.</summary>
    public DeviceBuffer<float>? P { get; }

    ulong ILayerWeightsOnDevice.W => W.Pointer;

    ulong ILayerWeightsOnDevice.R => R.Pointer;

    ulong ILayerWeightsOnDevice.Bw => Bw.Pointer;

    ulong ILayerWeightsOnDevice.Br => Br.Pointer;

    ulong ILayerWeightsOnDevice.P => P?.Pointer ?? 0;

    /// <summary>Element offset of direction <paramref name="direction"/>'s block in <see cref="W"/>.</summary>
    public long WOffset(int direction) => (long)direction * Options.GateCount * Options.HiddenSize * Options.InputSize;

    /// <summary>Element offset of direction <paramref name="direction"/>'s block in <see cref="R"/>.</summary>
    public long ROffset(int direction) => (long)direction * Options.GateCount * Options.HiddenSize * Options.HiddenSize;

    /// <summary>Element offset of direction <paramref name="direction"/>'s block in the bias buffers.</summary>
    public long BiasOffset(int direction) => (long)direction * Options.GateCount * Options.HiddenSize;

    /// <summary>Element offset of direction <paramref name="direction"/>'s block in <see cref="P"/>.</summary>
    public long PeepholeOffset(int direction) => 3L * direction * Options.HiddenSize;

    /// <summary>Copies <paramref name="weights"/> to the device (synchronously; <paramref name="context"/> must be current).</summary>
    public static DeviceLayerWeights Upload(CudaContext context, LayerWeights<float> weights)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(weights);
        var o = weights.Options;
        int d = o.DirectionCount;
        var buffers = new List<DeviceBuffer<float>>(5);
        DeviceBuffer<float> Stack(Func<DirectionWeights<float>, float[]> part)
        {
            int length = part(weights.Directions[0]).Length;
            var buffer = context.Allocate<float>((long)d * length);
            buffers.Add(buffer);
            for (int dir = 0; dir < d; dir++)
                buffer.CopyFromHost(part(weights.Directions[dir]), (long)dir * length);
            return buffer;
        }
        try
        {
            var w = Stack(x => x.W);
            var r = Stack(x => x.R);
            var bw = Stack(x => x.Bw);
            var br = Stack(x => x.Br);
            var p = o.HasPeepholes ? Stack(x => x.P!) : null;
            // A copy from pageable memory on the legacy stream may still be in flight when it returns, and the
            // sessions' non-blocking streams do not wait for the legacy stream: finish it here, once per model.
            context.Synchronize();
            return new DeviceLayerWeights(o, w, r, bw, br, p);
        }
        catch
        {
            foreach (var b in buffers)
                b.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        W.Dispose();
        R.Dispose();
        Bw.Dispose();
        Br.Dispose();
        P?.Dispose();
    }
}
