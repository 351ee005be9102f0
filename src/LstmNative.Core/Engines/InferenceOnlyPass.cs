using LstmNative.Reference;

namespace LstmNative.Engines;

/// <summary>
/// The pass of an engine that runs forward only (packed or quantized CPU weights, the GPU layer runner): its outputs,
/// and a <see cref="Backward"/> that says why there is no way back.
/// </summary>
/// <param name="y">Output sequence <c>[T, D, B, H]</c>.</param>
/// <param name="hn">Final hidden state <c>[D, B, H]</c>.</param>
/// <param name="cn">Final cell state <c>[D, B, H]</c> (empty for GRU).</param>
/// <param name="why">The message of the <see cref="NotSupportedException"/> that <see cref="Backward"/> throws.</param>
public sealed class InferenceOnlyPass(float[] y, float[] hn, float[] cn, string why) : RnnLayerPass<float>
{
    /// <inheritdoc/>
    public override float[] Y => y;

    /// <inheritdoc/>
    public override float[] Hn => hn;

    /// <inheritdoc/>
    public override float[] Cn => cn;

    /// <inheritdoc/>
    public override LayerGradients<float> Backward(ReadOnlySpan<float> dY, ReadOnlySpan<float> dHn, ReadOnlySpan<float> dCn) =>
        throw new NotSupportedException(why);
}
