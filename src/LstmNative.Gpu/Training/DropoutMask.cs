namespace LstmNative.Gpu.Training;

/// <summary>
/// The dropout mask of GPU training, reproducible on the host: element <c>i</c> of the output of layer <c>l</c> is kept
/// (and scaled by <c>1 / (1 - p)</c>) when <c>u(seed_l, i) &gt;= p</c>, with <c>u</c> a SplitMix64 hash mapped to
/// [0, 1) through its top 24 bits (lntr_uniform in train_common.cuh). Forward and backward recompute the same mask
/// instead of storing it.
/// </summary>
public static class DropoutMask
{
    /// <summary>The seed of the mask after layer <paramref name="layer"/> for a forward pass seeded <paramref name="seed"/>.</summary>
    public static ulong LayerSeed(ulong seed, int layer) => SplitMix64(seed + 0x632BE59BD9B4E019UL * (ulong)(layer + 1));

    /// <summary>The uniform number in [0, 1) of element <paramref name="index"/>.</summary>
    public static float Uniform(ulong layerSeed, long index) =>
        (SplitMix64(layerSeed ^ SplitMix64((ulong)index)) >> 40) * (1.0f / 16777216.0f);

    /// <summary>The factor kept elements are scaled by: <c>1 / (1 - p)</c> in double, rounded to float (0 when p is 1).</summary>
    public static float Scale(double p) => p >= 1 ? 0f : (float)(1 / (1 - p));

    /// <summary>The mask value (0 or <see cref="Scale"/>) of element <paramref name="index"/> for dropout probability <paramref name="p"/>.</summary>
    public static float Value(ulong layerSeed, long index, double p) =>
        p >= 1 || Uniform(layerSeed, index) < (float)p ? 0f : Scale(p);

    /// <summary>SplitMix64's finaliser (lntr_splitmix64).</summary>
    public static ulong SplitMix64(ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }
}
