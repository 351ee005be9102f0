using System.Numerics;
using LstmNative.Training;

namespace LstmNative.Translation;

/// <summary>
/// The encoder side of one batch: embeddings (with their dropout mask), the BiLSTM states <c>[B, S, 2H]</c> with
/// sequence lengths, the attention keys <c>[B, S, H]</c> and the bridged decoder start state <c>[B, H]</c>.
/// </summary>
internal sealed class EncoderPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public required int Batch { get; init; }
    public required int Steps { get; init; }
    public required int[] Lengths { get; init; }
    public required T[] States { get; init; }
    public required T[] Keys { get; init; }
    public required T[] BridgeInH { get; init; }
    public required T[] BridgeInC { get; init; }
    public required T[] H0 { get; init; }
    public required T[] C0 { get; init; }
    public T[]? EmbeddingMask { get; init; }

    public static EncoderPass<T> Run(Seq2SeqModel<T> model, int[] source, int[] lengths, int batch, int steps, Random? dropout)
    {
        int h = model.Settings.HiddenSize, layers = model.Settings.EncoderLayers;
        var ids = new T[source.Length];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = T.CreateChecked(source[i]);
        model.SourceEmbedding.IsTraining = model.IsTraining;
        model.Encoder.IsTraining = model.IsTraining;
        var emb = model.SourceEmbedding.Forward(new Tensor<T>(ids, batch, steps)).Clone();
        var mask = model.IsTraining && dropout is not null ? Dropout.Apply(emb.Data, model.Settings.Dropout, dropout) : null;
        var states = (T[])model.Encoder.Forward(emb, lengths).Data.Clone();
        var hn = model.Encoder.FinalHidden!.Data;
        var cn = model.Encoder.FinalCell!.Data;
        var inH = new T[batch * 2 * h];
        var inC = new T[batch * 2 * h];
        for (int b = 0; b < batch; b++)
            for (int d = 0; d < 2; d++)
            {
                int src = (((layers - 1) * 2 + d) * batch + b) * h;
                Array.Copy(hn, src, inH, (b * 2 + d) * h, h);
                Array.Copy(cn, src, inC, (b * 2 + d) * h, h);
            }
        var keys = new T[batch * steps * h];
        Gemm.MulABt(states, model.AttentionKey.Value.Data, keys, batch * steps, 2 * h, h);
        var h0 = new T[batch * h];
        var c0 = new T[batch * h];
        Gemm.MulABt(inH, model.BridgeH.Value.Data, h0, batch, 2 * h, h);
        Gemm.MulABt(inC, model.BridgeC.Value.Data, c0, batch, 2 * h, h);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < h; j++)
            {
                h0[b * h + j] = T.Tanh(h0[b * h + j] + model.BridgeHBias.Value.Data[j]);
                c0[b * h + j] += model.BridgeCBias.Value.Data[j];
            }
        return new EncoderPass<T>
        {
            Batch = batch, Steps = steps, Lengths = lengths, States = states, Keys = keys,
            BridgeInH = inH, BridgeInC = inC, H0 = h0, C0 = c0, EmbeddingMask = mask,
        };
    }

    /// <summary>Back-propagates into the bridge, the encoder and the source embedding.</summary>
    public void Backward(Seq2SeqModel<T> model, T[] dStates, T[] dKeys, T[] dH0, T[] dC0)
    {
        int h = model.Settings.HiddenSize, layers = model.Settings.EncoderLayers, batch = Batch, steps = Steps;
        // keys = states · Wkᵀ
        Gemm.MulAB(dKeys, model.AttentionKey.Value.Data, dStates, batch * steps, h, 2 * h);
        Gemm.MulAtB(dKeys, States, model.AttentionKey.Grad.Data, batch * steps, h, 2 * h);
        // h0 = tanh(inH · Wᵀ + b), c0 = inC · Wᵀ + b
        var dPre = new T[batch * h];
        for (int i = 0; i < dPre.Length; i++)
            dPre[i] = dH0[i] * (T.One - H0[i] * H0[i]);
        var dInH = new T[batch * 2 * h];
        var dInC = new T[batch * 2 * h];
        Gemm.MulAB(dPre, model.BridgeH.Value.Data, dInH, batch, h, 2 * h);
        Gemm.MulAtB(dPre, BridgeInH, model.BridgeH.Grad.Data, batch, h, 2 * h);
        Gemm.MulAB(dC0, model.BridgeC.Value.Data, dInC, batch, h, 2 * h);
        Gemm.MulAtB(dC0, BridgeInC, model.BridgeC.Grad.Data, batch, h, 2 * h);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < h; j++)
            {
                model.BridgeHBias.Grad.Data[j] += dPre[b * h + j];
                model.BridgeCBias.Grad.Data[j] += dC0[b * h + j];
            }
        var dHn = new T[layers * 2 * batch * h];
        var dCn = new T[dHn.Length];
        for (int b = 0; b < batch; b++)
            for (int d = 0; d < 2; d++)
            {
                int dst = (((layers - 1) * 2 + d) * batch + b) * h;
                Array.Copy(dInH, (b * 2 + d) * h, dHn, dst, h);
                Array.Copy(dInC, (b * 2 + d) * h, dCn, dst, h);
            }
        var dEmb = model.Encoder.Backward(new Tensor<T>(dStates, batch, steps, 2 * h),
            new Tensor<T>(dHn, layers * 2, batch, h), new Tensor<T>(dCn, layers * 2, batch, h)).Clone();
        if (EmbeddingMask is not null)
            for (int i = 0; i < dEmb.Length; i++)
                dEmb.Data[i] *= EmbeddingMask[i];
        model.SourceEmbedding.Backward(dEmb);
    }
}

/// <summary>Inverted dropout on a flat buffer, returning the mask (0 or 1/(1-p)) for the backward pass.</summary>
internal static class Dropout
{
    public static T[]? Apply<T>(T[] x, double p, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p <= 0)
            return null;
        var mask = new T[x.Length];
        T keep = T.CreateChecked(1 / (1 - p));
        for (int i = 0; i < x.Length; i++)
        {
            mask[i] = random.NextDouble() < p ? T.Zero : keep;
            x[i] *= mask[i];
        }
        return mask;
    }
}
