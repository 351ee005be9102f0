using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>How a layer's sequence is computed on the GPU.</summary>
public enum GpuAlgorithm
{
    /// <summary>The heuristic decides per layer and batch size (<see cref="AlgorithmHeuristic"/>).</summary>
    Auto,

    /// <summary>
    /// One cuBLAS GEMM for the input projections of all steps; per step a recurrent GEMM and one fused kernel;
    /// captured as a CUDA graph and replayed; layers as a wavefront, directions concurrently. Any size.
    /// </summary>
    Standard,

    /// <summary>
    /// One kernel per layer and sequence that keeps the recurrent weights in shared memory and synchronises once per
    /// step. Batch ≤ 8 and weights that fit on chip; asking for it otherwise is an error naming the limit.
    /// </summary>
    Persistent,
}

/// <summary>Arithmetic of the cuBLAS GEMMs (input projections, and the standard algorithm's recurrent products).</summary>
public enum GemmPrecision
{
    /// <summary>Full float32 (CUBLAS_COMPUTE_32F).</summary>
    Fp32,

    /// <summary>TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32): inputs rounded to 10-bit mantissas, float32 sums.</summary>
    Tf32,

    /// <summary>BF16 tensor cores (CUBLAS_COMPUTE_32F_FAST_16BF): inputs rounded to bfloat16, float32 sums.</summary>
    Bf16,
}

/// <summary>How the persistent kernel's blocks wait for each other between steps.</summary>
public enum PersistentBarrier
{
    /// <summary>An arrival counter per direction in global memory (capturable in CUDA graphs). The default.</summary>
    Flag,

    /// <summary>
    /// Cooperative groups' grid sync with a cooperative launch (the driver guarantees co-residency). Not captured in
    /// graphs: launched directly each time.
    /// </summary>
    Cooperative,
}

/// <summary>Settings of a <see cref="GpuRnnModel"/>; every one has a sensible default.</summary>
public sealed record GpuInferenceOptions
{
    /// <summary>The defaults: automatic algorithm, float32 GEMMs, flag barriers, graphs, time-major, wavefront on.</summary>
    public static GpuInferenceOptions Default { get; } = new();

    /// <summary>The algorithm; <see cref="GpuAlgorithm.Auto"/> lets <see cref="AlgorithmHeuristic"/> choose.</summary>
    public GpuAlgorithm Algorithm { get; init; } = GpuAlgorithm.Auto;

    /// <summary>GEMM arithmetic. The persistent kernel's recurrent products are always float32 FMAs.</summary>
    public GemmPrecision Precision { get; init; } = GemmPrecision.Fp32;

    /// <summary>The persistent kernel's barrier.</summary>
    public PersistentBarrier Barrier { get; init; } = PersistentBarrier.Flag;

    /// <summary>Capture each call shape once as a CUDA graph and replay it (falls back to direct launches if capture fails).</summary>
    public bool UseGraphs { get; init; } = true;

    /// <summary>How many call shapes (steps, batch, which inputs/outputs) keep a graph; the least recently used is dropped.</summary>
    public int MaxCachedGraphs { get; init; } = 16;

    /// <summary>
    /// Layout of Run's tensors: time-major <c>x[T, B, I]</c>, <c>y[T, D, B, H]</c>, states per layer <c>[D, B, H]</c>
    /// (ONNX layout 0), or batch-major <c>x[B, T, I]</c>, <c>y[B, T, D, H]</c>, states per layer <c>[B, D, H]</c>
    /// (ONNX layout 1), handled by strides, without transposes.
    /// </summary>
    public SequenceLayout Layout { get; init; } = SequenceLayout.TimeMajor;

    /// <summary>Overlap the layers of forward-only standard stacks in time chunks on separate streams.</summary>
    public bool Wavefront { get; init; } = true;

    /// <summary>
    /// Tuning experiments only (the persistent sweep of LstmNative.Gpu.Benchmarks): plan the persistent kernel with
    /// exactly this many units per block instead of the cost model's choice.
    /// </summary>
    internal int? ForcedUnitsPerBlock { get; init; }

    /// <summary>
    /// Timing experiments only: the persistent kernel skips its barrier (kernel mode 2), so its results are WRONG; the
    /// difference in time to the flag barrier is what the barrier costs.
    /// </summary>
    internal bool SkipBarrierForTiming { get; init; }

    /// <summary>
    /// Tuning experiments only, until it has run on a GPU: the flag mode as a tagged exchange (kernel mode 3: each h
    /// value carries its step, readers poll what they need, no arrival counter) instead of the counter barrier (mode 0).
    /// Checked against the reference on the CPU shim; not yet run on a real GPU.
    /// </summary>
    internal bool TaggedExchange { get; init; }

    /// <summary>Time steps per wavefront chunk; null chooses (<see cref="WavefrontSchedule.ChooseChunk"/>).</summary>
    public int? WavefrontChunk { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range settings.</summary>
    public void Validate()
    {
        if (MaxCachedGraphs < 1)
            throw new ArgumentException($"MaxCachedGraphs must be at least 1, got {MaxCachedGraphs}");
        if (WavefrontChunk is < 1)
            throw new ArgumentException($"WavefrontChunk must be at least 1, got {WavefrontChunk}");
        if (!Enum.IsDefined(Algorithm) || !Enum.IsDefined(Precision) || !Enum.IsDefined(Barrier) || !Enum.IsDefined(Layout))
            throw new ArgumentException("an option has an undefined enum value");
    }

    /// <summary>The cuBLAS compute type (cublasComputeType_t) for <see cref="Precision"/>.</summary>
    internal static int ComputeType(GemmPrecision precision) => precision switch
    {
        GemmPrecision.Fp32 => 68,  // CUBLAS_COMPUTE_32F
        GemmPrecision.Tf32 => 77,  // CUBLAS_COMPUTE_32F_FAST_TF32
        GemmPrecision.Bf16 => 75,  // CUBLAS_COMPUTE_32F_FAST_16BF
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };
}
