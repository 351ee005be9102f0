using LstmNative.Model;

namespace LstmNative.PerfGate.Suite;

/// <summary>
/// The suite <c>lstmnative gate</c> runs when no suite file is given, and the one our CI gates on: short single-threaded
/// CPU cases covering the engine's distinct regimes. Each takes 0.2–3 ms per repetition, so the whole suite measures in
/// about a minute even on a loaded machine.
/// </summary>
/// <remarks>
/// Changing a case (or adding one) changes what the baseline means: bump <see cref="Version"/>, then re-record
/// <c>perf/baseline.json</c> with <c>lstmnative gate --update</c>.
/// </remarks>
internal static class BuiltInSuite
{
    /// <summary>The suite's name in baselines.</summary>
    public const string Name = "builtin";

    /// <summary>The suite's version in baselines.</summary>
    public const int Version = 1;

    /// <summary>The cases.</summary>
    public static GateSuite Create() => new(Name, Version,
    [
        // Small hidden size at batch 1: per-step fixed costs (pointwise, packing, copies) dominate.
        Case("lstm-h64-b1-t100", RnnCellType.Lstm, hidden: 64, layers: 1, batch: 1, steps: 100),
        // Batch 1, H = 256: a matrix-vector product streaming R (1 MiB) every step.
        Case("lstm-h256-b1-t50", RnnCellType.Lstm, hidden: 256, layers: 1, batch: 1, steps: 50),
        // Batched GRU (PyTorch flavour, linear_before_reset): GEMM-bound, GRU pointwise.
        Case("gru-h128-b16-t50", RnnCellType.Gru, hidden: 128, layers: 1, batch: 16, steps: 50),
        // Two stacked layers: the inter-layer buffers and the second layer's input projection.
        Case("lstm2-h128-b4-t50", RnnCellType.Lstm, hidden: 128, layers: 2, batch: 4, steps: 50),
        // Streaming: one Step call per time step, the real-time path. H = 128 rather than 256: at 256 every call streams
        // 2 MiB of weights from the shared cache and the case swung by up to 10 % between processes on a loaded machine.
        Case("lstm-step-h128-b1", RnnCellType.Lstm, hidden: 128, layers: 1, batch: 1, steps: 50, EngineMode.Step),
    ]);

    private static EngineCase Case(string name, RnnCellType cell, int hidden, int layers, int batch, int steps, EngineMode mode = EngineMode.Run) =>
        new(name, () => Layers(cell, hidden, layers), batch, steps, threads: 1, mode);

    private static LayerWeights<float>[] Layers(RnnCellType cell, int hidden, int layers)
    {
        var random = new Random(hidden * 31 + layers);
        var options = new RnnLayerOptions(cell, hidden, hidden) { LinearBeforeReset = cell == RnnCellType.Gru };
        // Weights of the usual initialisation scale keep activations out of saturation, like a trained model's.
        return Enumerable.Range(0, layers).Select(_ => new LayerWeights<float>(options).Randomize(random, 1 / Math.Sqrt(hidden))).ToArray();
    }
}
