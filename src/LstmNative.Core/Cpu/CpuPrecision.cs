namespace LstmNative.Cpu;

/// <summary>
/// The precision a <see cref="CpuRnnModel"/> stores its weight matrices in (inference only). Only <c>W</c> and <c>R</c>
/// are reduced; biases, peepholes, activations, states and every accumulation stay float32.
/// </summary>
/// <remarks>
/// <para>Measured accuracy (max |Y − Y_fp32| over all outputs, random LSTM and GRU layers with H ∈ {64, 255, 257, 512},
/// I = H, T = 100, batch 1–3, weights uniform in ±1/√H, inputs uniform in ±1; <c>ReducedPrecisionTests</c> asserts
/// the bounds): <see cref="Bf16"/> stays below 1e-2 and <see cref="Int8"/> below 2e-2 (see docs/benchmarks.md for the
/// measured worst cases). The error grows with how strongly the recurrence amplifies perturbations: a model whose
/// recurrence is chaotic (large R) diverges over long sequences at any reduced precision.</para>
/// <para>Speed: at batch 1 each step streams R from L2/L3, so halving (bf16) or quartering (int8) its bytes is what
/// makes these modes faster for H ≥ 256; at H = 64 the step is latency-bound and the gain is small.</para>
/// </remarks>
public enum CpuPrecision
{
    /// <summary>Float32 weights: the reference fast path.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 weights (the upper 16 bits of a float32, rounded to nearest even at pack time), widened back to float32
    /// in the kernels (a shift: exact), float32 FMA. Half the weight bytes. .NET 10 exposes no AVX-512 BF16
    /// instructions, so every CPU widens (AVX-512F, AVX2 or scalar).
    /// </summary>
    Bf16,

    /// <summary>
    /// Dynamic int8 quantization, as PyTorch's <c>quantize_dynamic</c>: weights symmetric int8 with one scale per
    /// output row (gate unit), <c>scale = max|w| / 127</c>, rounded to nearest even; the activations of each GEMM row
    /// are quantized on the fly to int16 (scale <c>max|x| / 32767</c>, per row and K-block of 256), multiplied
    /// with <c>vpmaddwd</c> into exact int32 sums, and scaled back to float32 once per block. A quarter of the weight
    /// bytes. Non-finite inputs give NaN.
    /// </summary>
    Int8,
}
