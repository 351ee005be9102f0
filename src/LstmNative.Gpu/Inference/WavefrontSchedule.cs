using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// The layer wavefront of the standard algorithm: time is cut into chunks; layer l runs chunk c on its own stream as
/// soon as layer l−1 has finished chunk c (its input GEMM for those steps, then the steps), so the layers overlap.
/// Only forward-only stacks qualify (a reverse direction needs the previous layer's last steps first).
/// </summary>
public static class WavefrontSchedule
{
    /// <summary>The most chunks a sequence is cut into (events are allocated per layer and chunk).</summary>
    public const int MaxChunks = 32;

    /// <summary>Chunks for the default chunk size: about 8, at least 4 steps each.</summary>
    public const int TargetChunks = 8;

    /// <summary>The chunk size: <paramref name="requested"/> (or about T/8, at least 4), raised so that at most <see cref="MaxChunks"/> chunks result.</summary>
    public static int ChooseChunk(int steps, int? requested = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        int chunk = requested ?? Math.Max(4, (steps + TargetChunks - 1) / TargetChunks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        return Math.Max(chunk, (steps + MaxChunks - 1) / MaxChunks);
    }

    /// <summary>ceil(T / chunk).</summary>
    public static int ChunkCount(int steps, int chunk) => (steps + chunk - 1) / chunk;

    /// <summary>First step and step count of chunk <paramref name="index"/>.</summary>
    public static (int Start, int Count) Chunk(int index, int steps, int chunk)
    {
        int start = index * chunk;
        if (index < 0 || start >= steps)
            throw new ArgumentOutOfRangeException(nameof(index), $"chunk {index} is outside {ChunkCount(steps, chunk)} chunks of {chunk} steps");
        return (start, Math.Min(chunk, steps - start));
    }

    /// <summary>
    /// Whether a stack runs as a wavefront: more than one layer, all forward-only, all on the standard algorithm,
    /// and the option on.
    /// </summary>
    public static bool Eligible(IReadOnlyList<RnnLayerOptions> layers, IReadOnlyList<GpuAlgorithm> algorithms, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(algorithms);
        if (!enabled || layers.Count < 2)
            return false;
        for (int l = 0; l < layers.Count; l++)
            if (layers[l].Direction != RnnDirection.Forward || algorithms[l] != GpuAlgorithm.Standard)
                return false;
        return true;
    }
}
