namespace LstmNative.Cpu;

/// <summary>
/// The precision a <see cref="CpuRnnModel"/> stores its weight matrices in (inference only). Only <c>W</c> and <c>R</c>
/// are reduced; biases, peepholes, activations, states and every accumulation stay float32.
/// </summary>
/// <remarks>
/// <para>Accuracy, measured (docs/benchmarks.md): max |Y − Y_fp32| over Y, Y_h and Y_c for random LSTM and GRU layers with
/// H ∈ {64, 255, 257, 512}, I = H, T = 100, weights uniform in ±1/√H (PyTorch's initialisation), inputs in ±1:
/// <see cref="Bf16"/> at most 1.8e-3 and <see cref="Int8"/> at most 4.2e-3 over the seeds tried; the tests assert
/// below <b>1e-2 (bf16)</b> and <b>2e-2 (int8)</b> on a fresh seed every run. A recurrence whose weights make it chaotic
/// amplifies any perturbation over long sequences, so these bounds are for contracting (trained or default-initialised)
/// models, not arbitrary ones.</para>
/// <para>Speed at batch 1, one thread, T = 100 (AVX2 Zen 3, docs/benchmarks.md): int8 runs 2.0–2.6× faster than
/// float32 from H = 256 (a streaming Step 2.3–5.6×); bf16 1.35–1.5× at H = 256–512 and 1.4–2.0× at H = 1024 (a Step
/// 1.55–1.9× at H = 512, 2–4.7× at H = 1024). At H = 64 the step is about a microsecond, much of it work the weights'
/// precision does not touch: int8 1.3–1.6×, bf16 about 1.1×. The gain comes from streaming fewer weight bytes each step;
/// without a bf16 dot-product instruction (which .NET 10 does not expose) bf16 cannot make the multiply-adds cheaper:
/// the native <c>vdpbf16ps</c> kernel does that where the CPU has AVX512-BF16 (docs/benchmarks.md, "Native bf16 kernel").</para>
/// </remarks>
public enum CpuPrecision
{
    /// <summary>Float32 weights: the reference fast path.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 weights (the upper 16 bits of a float32, rounded to nearest even at pack time), widened back to float32
    /// in the managed kernels (a shift or a mask: exact), float32 FMA. Half the weight bytes. .NET 10 exposes no AVX-512
    /// BF16 instructions; on CPUs with AVX512-BF16, where the native library (<see cref="Kernels.NativeCpu"/>) loads and
    /// passes its check, the products run <c>vdpbf16ps</c> instead: each activation row (x and h) is rounded to bf16
    /// (round to nearest even) and multiplied by the bf16 weights with float32 sums, twice the multiply-adds per
    /// instruction of float32 FMA. Rounding the activations costs a little accuracy (max |Y − Y_fp32| at most 2.1e-3
    /// against 1.7e-3 for the widening kernels, docs/benchmarks.md), well within the bf16 bound.
    /// </summary>
    Bf16,

    /// <summary>
    /// Dynamic int8 quantization, as PyTorch's <c>quantize_dynamic</c>: weights symmetric int8 with one scale per
    /// output row (gate unit), <c>scale = max|w| / 127</c>, rounded to nearest even; the activations of each GEMM row
    /// are quantized on the fly to int16 (scale <c>max|x| / 32767</c>, per row and K-block of 256), multiplied
    /// with <c>vpmaddwd</c> into exact int32 sums, and scaled back to float32 once per block. A quarter of the weight
    /// bytes. Non-finite inputs give NaN. On CPUs with AVX-512 VNNI (or, where .NET runs 256-bit kernels, AVX-VNNI), where
    /// the native library (<see cref="Kernels.NativeCpu"/>) loads and passes its check, the products run <c>vpdpbusd</c>
    /// instead: each activation row is quantized to uint8 (zero point 128, scale <c>max|x| / 127</c>, whole K), 1.3–1.9×
    /// faster than the int16 path at H = 256–1024 and slightly less accurate (docs/benchmarks.md).
    /// <para>Static int8 (PyTorch's <c>prepare</c>/<c>convert</c>): the same weights with <b>fixed</b> activation scales
    /// measured on representative inputs by an <see cref="Int8Calibrator"/> and passed as an <see cref="Int8Calibration"/>
    /// to <see cref="CpuRnnModel(IReadOnlyList{Model.LayerWeights{float}}, Int8Calibration)"/> (the model's
    /// <see cref="CpuRnnModel.Calibration"/> is then set and its precision is this one): x and h are quantized with the
    /// calibrated scale of their layer and saturated at its range, with no per-row max scan; non-finite inputs still give
    /// NaN. Measured against dynamic int8: the same accuracy on held-out inputs of the calibration's distribution (max
    /// |Y − Y_fp32| 1.8e-3–5.3e-3 at H = 64–1024) and the same speed (0.98–1.03×) at batch 1 (docs/benchmarks.md,
    /// "Static int8").</para>
    /// </summary>
    Int8,
}
