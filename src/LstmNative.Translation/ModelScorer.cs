using LstmNative.Training;

namespace LstmNative.Translation;

/// <summary>
/// <see cref="IStepScorer"/> over a <see cref="Seq2SeqModel{T}"/>: encodes the sentences once; beams share the
/// encoding through a row → sentence map; decoder state rows are gathered on reorder.
/// </summary>
internal sealed class ModelScorer : IStepScorer
{
    private readonly Seq2SeqModel<float> _m;
    private readonly EncoderPass<float> _enc;
    private readonly int _h, _e, _sentences;
    private int _rows;
    private int[] _sourceRow = [];
    private float[] _hState = [], _cState = [], _feed = [], _cov = [], _emb = [], _logits = [];
    private DecoderStep<float>? _step;

    public ModelScorer(Seq2SeqModel<float> model, int[][] sources)
    {
        _m = model;
        _h = model.Settings.HiddenSize;
        _e = model.Settings.EmbeddingSize;
        _sentences = sources.Length;
        int s = Math.Max(1, sources.Max(x => x.Length));
        var src = new int[_sentences * s];
        var lens = new int[_sentences];
        for (int i = 0; i < _sentences; i++)
        {
            if (sources[i].Length == 0)
            {
                src[i * s] = LstmNative.Translation.Vocabulary.Unk;
                lens[i] = 1;
                continue;
            }
            sources[i].CopyTo(src, i * s);
            lens[i] = sources[i].Length;
        }
        model.IsTraining = false;
        _enc = EncoderPass<float>.Run(model, src, lens, _sentences, s, null);
    }

    public int Vocabulary => _m.TargetVocabulary;

    public int SourceLength(int sentence) => _enc.Lengths[sentence];

    public void Begin(int beam)
    {
        _rows = _sentences * beam;
        _sourceRow = [.. Enumerable.Range(0, _rows).Select(r => r / beam)];
        _hState = new float[_rows * _h];
        _cState = new float[_rows * _h];
        for (int r = 0; r < _rows; r++)
        {
            Array.Copy(_enc.H0, _sourceRow[r] * _h, _hState, r * _h, _h);
            Array.Copy(_enc.C0, _sourceRow[r] * _h, _cState, r * _h, _h);
        }
        _feed = new float[_rows * _h];
        _cov = new float[_rows * _enc.Steps];
        _emb = new float[_rows * _e];
        _logits = new float[_rows * Vocabulary];
        _step = new DecoderStep<float>(_rows, _enc.Steps, _e, _h, _m.Settings.Attention == AttentionKind.Additive);
    }

    public void Step(ReadOnlySpan<int> previous, Span<float> logProbs)
    {
        var step = _step ?? throw new InvalidOperationException("call Begin first");
        var w = _m.TargetEmbedding.Weight.Value.Data;
        for (int r = 0; r < _rows; r++)
            Array.Copy(w, previous[r] * _e, _emb, r * _e, _e);
        step.Forward(_m, _enc, _sourceRow, _emb, _hState, _cState, _feed, _cov);
        step.H.CopyTo(_hState, 0);
        step.C.CopyTo(_cState, 0);
        step.Htil.CopyTo(_feed, 0);
        for (int i = 0; i < _cov.Length; i++)
            _cov[i] += step.Attention[i];
        Array.Clear(_logits);
        int v = Vocabulary;
        Gemm.MulABt(step.Htil, _m.OutputWeight.Value.Data, _logits, _rows, _h, v);
        var bias = _m.OutputBias.Value.Data;
        var logits = _logits;
        Parallel.For(0, _rows, r =>
        {
            var z = logits.AsSpan(r * v, v);
            float max = float.NegativeInfinity;
            for (int j = 0; j < v; j++)
            {
                z[j] += bias[j];
                if (z[j] > max)
                    max = z[j];
            }
            double sum = 0;
            for (int j = 0; j < v; j++)
                sum += Math.Exp(z[j] - max);
            float lse = max + (float)Math.Log(sum);
            for (int j = 0; j < v; j++)
                z[j] -= lse;
        });
        logits.AsSpan(0, _rows * v).CopyTo(logProbs);
    }

    public void Reorder(ReadOnlySpan<int> parents)
    {
        _hState = Gather(_hState, parents, _h);
        _cState = Gather(_cState, parents, _h);
        _feed = Gather(_feed, parents, _h);
        _cov = Gather(_cov, parents, _enc.Steps);
        var a = _step!.Attention;
        var g = Gather(a, parents, _enc.Steps);
        g.CopyTo(a, 0);
    }

    public ReadOnlySpan<float> LastAttention(int row) => _step!.Attention.AsSpan(row * _enc.Steps, _enc.Steps);

    private static float[] Gather(float[] x, ReadOnlySpan<int> parents, int width)
    {
        var y = new float[x.Length];
        for (int r = 0; r < parents.Length; r++)
            Array.Copy(x, parents[r] * width, y, r * width, width);
        return y;
    }
}
