using LstmNative.Cpu;

namespace LstmNative.Translation;

/// <summary>
/// <see cref="IStepScorer"/> over a <see cref="Seq2SeqModel{T}"/>: encodes the sentences once; live rows share the
/// encoding through a row → sentence map. Only the rows the search keeps are computed: <see cref="Reorder"/> gathers
/// their decoder state into the front of a second set of buffers (sized once for the most rows), so finished sentences
/// and empty beam slots cost nothing and a step allocates nothing.
/// </summary>
internal sealed class ModelScorer : IStepScorer
{
    // Rows × vocabulary values below which the output log-softmax runs on the calling thread alone.
    private const int ParallelLogits = 1 << 15;

    private readonly Seq2SeqModel<float> _m;
    private readonly EncoderPass<float> _enc;
    private readonly int _h, _e, _sentences;
    private int _rows;
    private RowState _state = RowState.Empty, _spare = RowState.Empty;
    private float[] _emb = [];
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

    public void Begin(int capacity)
    {
        capacity = Math.Max(capacity, _sentences);
        _rows = _sentences;
        _state = new RowState(capacity, _h, _enc.Steps);
        _spare = new RowState(capacity, _h, _enc.Steps);
        for (int r = 0; r < _sentences; r++)
            _state.Sentence[r] = r;
        _enc.H0.AsSpan(0, _sentences * _h).CopyTo(_state.H);
        _enc.C0.AsSpan(0, _sentences * _h).CopyTo(_state.C);
        _emb = new float[capacity * _e];
        _step = new DecoderStep<float>(capacity, _enc.Steps, _e, _h, _m.Settings.Attention == AttentionKind.Additive);
    }

    public void Step(ReadOnlySpan<int> previous, Span<float> logProbs)
    {
        var step = _step ?? throw new InvalidOperationException("call Begin first");
        if (previous.Length != _rows)
            throw new ArgumentException($"{previous.Length} previous tokens for {_rows} rows", nameof(previous));
        int rows = _rows, h = _h, S = _enc.Steps, v = Vocabulary;
        var w = _m.TargetEmbedding.Weight.Value.Data;
        for (int r = 0; r < rows; r++)
            Array.Copy(w, previous[r] * _e, _emb, r * _e, _e);
        step.Rows = rows;
        step.Forward(_m, _enc, _state.Sentence, _emb, _state.H.AsSpan(0, rows * h), _state.C.AsSpan(0, rows * h),
            _state.Feed.AsSpan(0, rows * h), _state.Coverage.AsSpan(0, rows * S));
        step.H.AsSpan(0, rows * h).CopyTo(_state.H);
        step.C.AsSpan(0, rows * h).CopyTo(_state.C);
        step.Htil.AsSpan(0, rows * h).CopyTo(_state.Feed);
        var cov = _state.Coverage.AsSpan(0, rows * S);
        var att = step.Attention.AsSpan(0, rows * S);
        for (int i = 0; i < cov.Length; i++)
            cov[i] += att[i];
        // Logits straight into the caller's buffer, then bias and log-softmax row by row while the row is in cache.
        var logits = logProbs[..(rows * v)];
        CpuGemm.Multiply(step.Htil.AsSpan(0, rows * h), false, _m.OutputWeight.Value.Data, true, logits, rows, h, v, accumulate: false);
        if ((long)rows * v < ParallelLogits || rows < 2)
            Normalise(logits, 0, rows);
        else
            unsafe
            {
                // Spans cannot enter a lambda; the caller's buffer stays pinned for the loop's duration.
                fixed (float* p = logits)
                {
                    nint addr = (nint)p;
                    int chunks = Math.Min(rows, Environment.ProcessorCount * 2);
                    Parallel.For(0, chunks, c =>
                    {
                        int r0 = (int)((long)rows * c / chunks), r1 = (int)((long)rows * (c + 1) / chunks);
                        Normalise(new Span<float>((float*)addr, rows * v), r0, r1);
                    });
                }
            }
    }

    public ReadOnlySpan<float> LastAttention(int row)
    {
        var step = _step ?? throw new InvalidOperationException("call Begin first");
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, step.Rows);
        return step.Attention.AsSpan(row * _enc.Steps, _enc.Steps);
    }

    public void Reorder(ReadOnlySpan<int> parents)
    {
        if (_step is null)
            throw new InvalidOperationException("call Begin first");
        if (parents.Length > _state.Sentence.Length)
            throw new ArgumentException($"{parents.Length} rows exceed the capacity of {_state.Sentence.Length} given to Begin", nameof(parents));
        int h = _h, S = _enc.Steps;
        for (int r = 0; r < parents.Length; r++)
        {
            int p = parents[r];
            if ((uint)p >= (uint)_rows)
                throw new ArgumentOutOfRangeException(nameof(parents), $"parent {p} is not one of the {_rows} rows");
            _spare.Sentence[r] = _state.Sentence[p];
            _state.H.AsSpan(p * h, h).CopyTo(_spare.H.AsSpan(r * h, h));
            _state.C.AsSpan(p * h, h).CopyTo(_spare.C.AsSpan(r * h, h));
            _state.Feed.AsSpan(p * h, h).CopyTo(_spare.Feed.AsSpan(r * h, h));
            _state.Coverage.AsSpan(p * S, S).CopyTo(_spare.Coverage.AsSpan(r * S, S));
        }
        (_state, _spare) = (_spare, _state);
        _rows = parents.Length;
    }

    private void Normalise(Span<float> logits, int r0, int r1)
    {
        int v = Vocabulary;
        var bias = _m.OutputBias.Value.Data;
        for (int r = r0; r < r1; r++)
        {
            var z = logits.Slice(r * v, v);
            Gemm.Add<float>(z, bias);
            VectorMath.LogSoftmax(z);
        }
    }

    /// <summary>The decoder state of every live row: LSTM h and c, the fed-back h̃, summed attention, sentence.</summary>
    private sealed class RowState(int rows, int hidden, int sourceSteps)
    {
        public static readonly RowState Empty = new(0, 0, 0);
        public readonly int[] Sentence = new int[rows];
        public readonly float[] H = new float[rows * hidden];
        public readonly float[] C = new float[rows * hidden];
        public readonly float[] Feed = new float[rows * hidden];
        public readonly float[] Coverage = new float[rows * sourceSteps];
    }
}
