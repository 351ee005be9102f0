using LstmNative.Gpu.Device;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// Every queue, marker, device and page-locked buffer of one <see cref="GpuRnnSession"/>, sized once for its maximum
/// batch and sequence length. Sizing lives here, apart from the recording of a call (<see cref="SessionRecorder"/>), as
/// llm.c separates <c>fill_in_activation_sizes</c> from the forward pass; the CPU session is split the same way
/// (<c>CpuRnnSession</c> / <c>LayerBuffers</c>). Owns everything it allocates and frees it in reverse order.
/// </summary>
internal sealed class SessionBuffers : IDisposable
{
    private readonly IInferenceBackend _backend;
    private readonly List<IDisposable> _owned = [];

    public SessionBuffers(IInferenceBackend backend, RnnLayerOptions[] layers, GpuInferenceOptions options, int maxBatch, int maxSteps)
    {
        _backend = backend;
        int count = layers.Length;
        StateRowOffset = new long[count];
        long rowFloats = 0;
        for (int l = 0; l < count; l++)
        {
            StateRowOffset[l] = rowFloats;
            rowFloats += (long)layers[l].DirectionCount * layers[l].HiddenSize;
        }
        StateFloatsPerRow = rowFloats;

        _backend.MakeCurrent();
        try
        {
            Main = Own(_backend.CreateQueue());
            DirectionQueue = Own(_backend.CreateQueue());
            bool wavefrontPossible = options.Wavefront && count > 1 && layers.All(o => o.Direction == RnnDirection.Forward)
                                     && options.Algorithm != GpuAlgorithm.Persistent;
            LayerQueues = new IDeviceQueue?[count];
            for (int l = 1; l < count && wavefrontPossible; l++)
                LayerQueues[l] = Own(_backend.CreateQueue());
            Fork = Own(_backend.CreateMarker());
            DirectionFork = Own(_backend.CreateMarker());
            DirectionJoin = Own(_backend.CreateMarker());
            ChunkDone = new IDeviceMarker[wavefrontPossible ? count : 0][];
            for (int l = 0; l < ChunkDone.Length; l++)
            {
                ChunkDone[l] = new IDeviceMarker[WavefrontSchedule.MaxChunks];
                for (int c = 0; c < WavefrontSchedule.MaxChunks; c++)
                    ChunkDone[l][c] = Own(_backend.CreateMarker());
            }

            var first = layers[0];
            var last = layers[^1];
            long maxRows = (long)maxSteps * maxBatch;
            X = Floats(maxRows * first.InputSize);
            Lengths = Own(_backend.Allocate(4L * maxBatch));
            Y = Floats(maxRows * last.DirectionCount * last.HiddenSize);
            long xwLargest = layers.Max(o => (long)o.DirectionCount * o.GateCount * o.HiddenSize) * maxRows;
            IDeviceMemory? sharedXw = wavefrontPossible ? null : Floats(xwLargest);
            Xw = new IDeviceMemory[count];
            Hr = new IDeviceMemory[count][];
            Rh = new IDeviceMemory?[count][];
            YMid = new IDeviceMemory?[count];
            H = new IDeviceMemory[count];
            C = new IDeviceMemory?[count];
            Exchange = new IDeviceMemory?[count][];
            bool persistentPossible = options.Algorithm != GpuAlgorithm.Standard;
            int persistentRows = Math.Min(maxBatch, PersistentPlan.MaxBatch);
            for (int l = 0; l < count; l++)
            {
                var o = layers[l];
                int d = o.DirectionCount, h = o.HiddenSize, gh = o.GateCount * h;
                Xw[l] = sharedXw ?? Floats(maxRows * d * gh);
                Hr[l] = new IDeviceMemory[d];
                Rh[l] = new IDeviceMemory?[d];
                Exchange[l] = new IDeviceMemory?[d];
                for (int dir = 0; dir < d; dir++)
                {
                    Hr[l][dir] = Floats((long)maxBatch * gh);
                    if (o.Cell == RnnCellType.Gru && !o.LinearBeforeReset)
                        Rh[l][dir] = Floats((long)maxBatch * h, zero: true);
                    if (persistentPossible)
                        Exchange[l][dir] = Floats(2 * 3L * persistentRows * h, zero: true); // three slots of 64-bit tagged words
                }
                if (l < count - 1)
                    YMid[l] = Floats(maxRows * d * h);
                long state = LayerGeometry.StateElements(o, maxBatch);
                H[l] = Floats(state, zero: true);
                C[l] = o.Cell == RnnCellType.Lstm ? Floats(state, zero: true) : null;
            }
            Barriers = persistentPossible ? Own(_backend.Allocate(8L * count)) : null;

            XHost = Own(_backend.AllocateHost(4 * maxRows * first.InputSize));
            YHost = Own(_backend.AllocateHost(4 * maxRows * last.DirectionCount * last.HiddenSize));
            HHost = Own(_backend.AllocateHost(4 * StateFloatsPerRow * maxBatch));
            CHost = Own(_backend.AllocateHost(4 * StateFloatsPerRow * maxBatch));
            LengthsHost = Own(_backend.AllocateHost(4L * maxBatch));
            Main.Synchronize(); // the zero fills
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Σ over earlier layers of D·H, per layer: a layer's block of the stacked states starts at B times this.</summary>
    public long[] StateRowOffset { get; }

    /// <summary>Floats of the stacked states per batch row (all layers and directions).</summary>
    public long StateFloatsPerRow { get; }

    public IDeviceQueue Main { get; }

    /// <summary>The second direction's queue (directions run concurrently).</summary>
    public IDeviceQueue DirectionQueue { get; }

    /// <summary>One queue per layer from layer 1 when the layers may run as a wavefront; otherwise nulls.</summary>
    public IDeviceQueue?[] LayerQueues { get; }

    public IDeviceMarker Fork { get; }

    public IDeviceMarker DirectionFork { get; }

    public IDeviceMarker DirectionJoin { get; }

    /// <summary>[layer][chunk]: layer l has finished time chunk c (wavefront only).</summary>
    public IDeviceMarker[][] ChunkDone { get; }

    /// <summary>Whether the layers were given their own queues to run as a wavefront.</summary>
    public bool WavefrontPossible => LayerQueues.Length > 1 && LayerQueues[1] is not null;

    public IDeviceMemory X { get; }

    public IDeviceMemory Lengths { get; }

    /// <summary>The last layer's output.</summary>
    public IDeviceMemory Y { get; }

    /// <summary>Per layer: the input projection x W^T of every step (one buffer shared by all layers unless wavefront).</summary>
    public IDeviceMemory[] Xw { get; }

    /// <summary>[layer][direction]: h R^T of the current step.</summary>
    public IDeviceMemory[][] Hr { get; }

    /// <summary>[layer][direction]: r ⊙ h of a two-phase GRU step (ONNX linear_before_reset = 0), else null.</summary>
    public IDeviceMemory?[][] Rh { get; }

    /// <summary>Outputs of the layers below the last (null for the last).</summary>
    public IDeviceMemory?[] YMid { get; }

    /// <summary>Kept hidden state per layer.</summary>
    public IDeviceMemory[] H { get; }

    /// <summary>Kept cell state per LSTM layer (null for GRU layers).</summary>
    public IDeviceMemory?[] C { get; }

    /// <summary>[layer][direction]: the persistent kernel's exchange of h between blocks (null without persistent).</summary>
    public IDeviceMemory?[][] Exchange { get; }

    /// <summary>The persistent kernel's barrier words, 8 bytes per layer (null without persistent).</summary>
    public IDeviceMemory? Barriers { get; }

    public IHostMemory XHost { get; }

    public IHostMemory YHost { get; }

    public IHostMemory HHost { get; }

    public IHostMemory CHost { get; }

    public IHostMemory LengthsHost { get; }

    private T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    private IDeviceMemory Floats(long count, bool zero = false)
    {
        var memory = Own(_backend.Allocate(4 * Math.Max(1, count)));
        if (zero)
            Main.Zero(memory.Pointer, memory.Bytes);
        return memory;
    }

    /// <summary>Frees everything, last allocated first.</summary>
    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        _owned.Clear();
    }
}
