using System.Numerics;
using LstmNative.Training;

namespace LstmNative.Translation;

/// <summary>
/// One teacher-forced forward and backward pass over a batch: label-smoothed cross-entropy on every non-padding target
/// position plus, when enabled, the See et al. coverage loss λ·Σ min(attention, coverage) averaged over the same
/// positions. Gradients are added to the parameters' <c>Grad</c> (zero them first).
/// </summary>
public static class Seq2SeqTrainingPass
{
    /// <summary>Runs the pass; returns the loss (mean cross-entropy plus the coverage term when enabled) and the target token count.</summary>
    /// <param name="model">The model (its <c>IsTraining</c> decides dropout).</param>
    /// <param name="batch">The batch.</param>
    /// <param name="random">Dropout random stream.</param>
    /// <param name="backward">False to compute the loss only (validation).</param>
    public static (double Loss, int Tokens) Run<T>(Seq2SeqModel<T> model, TranslationBatch batch, Random random, bool backward = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var st = model.Settings;
        int B = batch.Batch, S = batch.SourceSteps, Tt = batch.TargetSteps, e = st.EmbeddingSize, h = st.HiddenSize, V = model.TargetVocabulary;
        var enc = EncoderPass<T>.Run(model, batch.Source, batch.SourceLengths, B, S, random);
        var tids = new T[B * Tt];
        for (int i = 0; i < tids.Length; i++)
            tids[i] = T.CreateChecked(batch.TargetIn[i]);
        model.TargetEmbedding.IsTraining = model.IsTraining;
        var temb = model.TargetEmbedding.Forward(new Tensor<T>(tids, B, Tt)).Clone();
        var tmask = model.IsTraining ? Dropout.Apply(temb.Data, st.Dropout, random) : null;
        // time-major embeddings
        var emb = new T[Tt * B * e];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < Tt; t++)
                Array.Copy(temb.Data, (b * Tt + t) * e, emb, (t * B + b) * e, e);
        var rowsOf = Enumerable.Range(0, B).ToArray();
        bool additive = st.Attention == AttentionKind.Additive;
        var steps = new DecoderStep<T>[Tt];
        var coverage = new T[B * S];
        var feed = new T[B * h];
        for (int t = 0; t < Tt; t++)
        {
            var step = steps[t] = new DecoderStep<T>(B, S, e, h, additive);
            step.Forward(model, enc, rowsOf, emb.AsSpan(t * B * e, B * e), t == 0 ? enc.H0 : steps[t - 1].H,
                t == 0 ? enc.C0 : steps[t - 1].C, feed, coverage);
            for (int i = 0; i < coverage.Length; i++)
                coverage[i] += step.Attention[i];
            feed = step.Htil;
        }
        var htil = new T[Tt * B * h];
        for (int t = 0; t < Tt; t++)
            steps[t].Htil.CopyTo(htil, t * B * h);
        var omask = model.IsTraining ? Dropout.Apply(htil, st.Dropout, random) : null;
        // The [tokens × V] logits and their gradient are the largest buffers of a step: reused batch after batch (a fresh
        // array costs a page fault per 4 KiB). Each row starts as the bias; the projection adds onto it.
        var (logits, dLogits) = model.LogitBuffers(Tt * B * V);
        var bias = model.OutputBias.Value.Data;
        for (int r = 0; r < Tt * B; r++)
            bias.CopyTo(logits, r * V);
        Gemm.MulABt(htil, model.OutputWeight.Value.Data, logits, Tt * B, h, V);
        var targets = new int[Tt * B];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < Tt; t++)
                targets[t * B + b] = batch.TargetOut[b * Tt + t];
        double loss = model.Loss.ForwardBackward(logits, targets, dLogits, V, out int count);
        if (count == 0)
            loss = 0; // an all-padding batch adds nothing (the mean over no tokens would be NaN)
        if (st.CoverageLossWeight > 0 && count > 0)
        {
            double covLoss = 0;
            for (int t = 0; t < Tt; t++)
                for (int b = 0; b < B; b++)
                    if (targets[t * B + b] != Vocabulary.Pad)
                        for (int s = 0; s < S; s++)
                            covLoss += Math.Min(double.CreateChecked(steps[t].Attention[b * S + s]), double.CreateChecked(steps[t].CoverageIn[b * S + s]));
            loss += st.CoverageLossWeight * covLoss / count;
        }
        if (!backward || count == 0)
            return (loss, count);

        // output projection
        var dHtilAll = new T[htil.Length];
        Gemm.MulAB(dLogits, model.OutputWeight.Value.Data, dHtilAll, Tt * B, V, h);
        Gemm.MulAtB(dLogits, htil, model.OutputWeight.Grad.Data, Tt * B, V, h);
        var dBias = model.OutputBias.Grad.Data;
        for (int r = 0; r < Tt * B; r++)
            Gemm.Add<T>(dBias, dLogits.AsSpan(r * V, V));
        if (omask is not null)
            for (int i = 0; i < dHtilAll.Length; i++)
                dHtilAll[i] *= omask[i];

        T covWeight = T.CreateChecked(st.CoverageLossWeight / count);
        var dStates = new T[enc.States.Length];
        var dKeys = new T[enc.Keys.Length];
        var dEmb = new T[Tt * B * e];
        var dH = new T[B * h];
        var dC = new T[B * h];
        var dCovOut = new T[B * S];
        var dFeed = new T[B * h];
        var lw = new T[B];
        var scratch = new T[S];
        for (int t = Tt - 1; t >= 0; t--)
        {
            var dHtil = dHtilAll.AsSpan(t * B * h, B * h).ToArray();
            for (int i = 0; i < dHtil.Length; i++)
                dHtil[i] += dFeed[i];
            for (int b = 0; b < B; b++)
                lw[b] = targets[t * B + b] == Vocabulary.Pad ? T.Zero : covWeight;
            var dHPrev = new T[B * h];
            var dCPrev = new T[B * h];
            var dCovPrev = new T[B * S];
            dFeed = new T[B * h];
            steps[t].Backward(model, enc, rowsOf, dHtil, dH, dC, dCovOut, lw, dStates, dKeys,
                dEmb.AsSpan(t * B * e, B * e), dFeed, dHPrev, dCPrev, dCovPrev, scratch);
            dH = dHPrev;
            dC = dCPrev;
            dCovOut = dCovPrev;
        }
        var dTemb = new T[B * Tt * e];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < Tt; t++)
                Array.Copy(dEmb, (t * B + b) * e, dTemb, (b * Tt + t) * e, e);
        if (tmask is not null)
            for (int i = 0; i < dTemb.Length; i++)
                dTemb[i] *= tmask[i];
        model.TargetEmbedding.Backward(new Tensor<T>(dTemb, B, Tt, e));
        enc.Backward(model, dStates, dKeys, dH, dC);
        return (loss, count);
    }
}
