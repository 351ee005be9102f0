namespace LstmNative.Translation;

/// <summary>How to decode.</summary>
public sealed record DecodeOptions
{
    /// <summary>Beam size; 1 means greedy.</summary>
    public int BeamSize { get; init; } = 1;

    /// <summary>Hypotheses to return per sentence (at most the beam size).</summary>
    public int NBest { get; init; } = 1;

    /// <summary>GNMT length penalty α: scores are divided by ((5 + |y|) / 6)^α; 0 keeps raw log-probabilities.</summary>
    public double LengthPenalty { get; init; } = 0.6;

    /// <summary>GNMT coverage penalty β: adds β·Σ log(min(coverage, 1)) over source words.</summary>
    public double CoveragePenalty { get; init; }

    /// <summary>Maximum output length as a multiple of the source length (plus <see cref="MaxLengthOffset"/>).</summary>
    public double MaxLengthRatio { get; init; } = 2;

    /// <summary>Added to the relative maximum length.</summary>
    public int MaxLengthOffset { get; init; } = 10;

    /// <summary>Checks the options.</summary>
    public void Validate()
    {
        if (BeamSize < 1 || NBest < 1 || NBest > BeamSize)
            throw new ArgumentException($"beam size must be positive and n-best in [1, beam size], got beam {BeamSize}, n-best {NBest}");
        if (!(LengthPenalty >= 0 && CoveragePenalty >= 0 && MaxLengthRatio > 0 && MaxLengthOffset >= 0)) // NaN fails too
            throw new ArgumentException("length and coverage penalties must be non-negative and the maximum length positive");
    }
}

/// <summary>One output hypothesis.</summary>
/// <param name="Tokens">Target indices, without <c>&lt;/s&gt;</c>.</param>
/// <param name="LogProbability">Sum of token log-probabilities (with <c>&lt;/s&gt;</c> when it ended).</param>
/// <param name="Score">The ranking score (length and coverage penalties applied).</param>
/// <param name="Attention">Attention per output step (with the <c>&lt;/s&gt;</c> step) over the source words.</param>
public sealed record Hypothesis(int[] Tokens, double LogProbability, double Score, float[][] Attention);

/// <summary>
/// What beam search needs from a model: next-token log-probabilities for the live rows, the attention of the last step
/// (for coverage and heat maps), and reordering the rows after each selection. The search keeps only live rows: the row
/// count starts at one per sentence and changes with every <see cref="Reorder"/>.
/// </summary>
public interface IStepScorer
{
    /// <summary>Target vocabulary size.</summary>
    int Vocabulary { get; }

    /// <summary>Source length of sentence <paramref name="sentence"/> (for the maximum length and coverage).</summary>
    int SourceLength(int sentence);

    /// <summary>
    /// Starts decoding: one row per sentence (row s is sentence s) at the start state. No later step has more than
    /// <paramref name="capacity"/> rows.
    /// </summary>
    void Begin(int capacity);

    /// <summary>Feeds each row's previous token (one per current row) and writes log-probabilities <c>[rows, V]</c>.</summary>
    void Step(ReadOnlySpan<int> previous, Span<float> logProbs);

    /// <summary>The attention of row <paramref name="row"/> at the last <see cref="Step"/> (source positions).</summary>
    ReadOnlySpan<float> LastAttention(int row);

    /// <summary>
    /// Row <c>r</c> continues from row <c>parents[r]</c> of the last step; the row count becomes
    /// <c>parents.Length</c> (rows may be dropped or repeated).
    /// </summary>
    void Reorder(ReadOnlySpan<int> parents);
}

/// <summary>Greedy decoding and batched beam search over an <see cref="IStepScorer"/>.</summary>
public static class BeamSearch
{
    /// <summary>Greedy: the most probable token each step, until <c>&lt;/s&gt;</c> or the maximum length.</summary>
    public static Hypothesis[] Greedy(IStepScorer scorer, int sentences, DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(options);
        int v = scorer.Vocabulary;
        scorer.Begin(sentences);
        var tokens = Enumerable.Range(0, sentences).Select(_ => new List<int>()).ToArray();
        var attn = Enumerable.Range(0, sentences).Select(_ => new List<float[]>()).ToArray();
        var logp = new double[sentences];
        var limit = Limits(scorer, sentences, options);
        // Live rows in sentence order; a finished sentence's row is dropped.
        var sentenceOf = Enumerable.Range(0, sentences).ToArray();
        var prev = Enumerable.Repeat(Vocabulary.Bos, sentences).ToArray();
        var keep = new int[sentences];
        var probs = new float[sentences * v];
        var best = new int[1];
        var bestValue = new float[1];
        int rows = sentences;
        for (int t = 0; rows > 0; t++)
        {
            scorer.Step(prev.AsSpan(0, rows), probs.AsSpan(0, rows * v));
            int kept = 0;
            for (int r = 0; r < rows; r++)
            {
                int s = sentenceOf[r];
                // A row of NaN (a broken model) has no maximum: it ends the sentence with a NaN log-probability.
                bestValue[0] = float.NaN;
                int token = TopK(probs.AsSpan(r * v, v), best, bestValue) > 0 ? best[0] : Vocabulary.Eos;
                logp[s] += bestValue[0];
                attn[s].Add(scorer.LastAttention(r).ToArray());
                bool done = token == Vocabulary.Eos;
                if (!done)
                    tokens[s].Add(token);
                if (done || tokens[s].Count >= limit[s])
                    continue;
                keep[kept] = r;
                sentenceOf[kept] = s;
                prev[kept++] = token;
            }
            if (kept > 0)
                scorer.Reorder(keep.AsSpan(0, kept));
            rows = kept;
        }
        return [.. Enumerable.Range(0, sentences).Select(s => new Hypothesis([.. tokens[s]], logp[s], logp[s], [.. attn[s]]))];
    }

    /// <summary>
    /// Beam search for all sentences at once: each keeps <c>BeamSize</c> live hypotheses; a hypothesis that emits
    /// <c>&lt;/s&gt;</c> leaves the beam as finished; a sentence stops when it has <c>BeamSize</c> finished ones or
    /// reaches its maximum length. Returns the n-best per sentence, best first. Only live hypotheses are scored: a
    /// finished sentence's rows and a beam's empty slots are dropped, and histories are kept as back-pointers.
    /// </summary>
    public static Hypothesis[][] Search(IStepScorer scorer, int sentences, DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int k = options.BeamSize, v = scorer.Vocabulary, capacity = sentences * k, c = Math.Min(v, 2 * k);
        var limit = Limits(scorer, sentences, options);
        int steps = limit.Length == 0 ? 0 : limit.Max();
        scorer.Begin(capacity);
        var trail = new Trail(steps, capacity);
        var finished = Enumerable.Range(0, sentences).Select(_ => new List<Hypothesis>()).ToArray();
        var probs = new float[capacity * v];
        var topToken = new int[capacity * c];
        var topValue = new float[capacity * c];
        var topCount = new int[capacity];
        // The live rows, grouped by sentence in sentence order and, within one, in beam order; and the next step's.
        var sentenceOf = new int[capacity];
        for (int r = 0; r < sentences; r++)
            sentenceOf[r] = r;
        var score = new double[capacity];
        var prev = Enumerable.Repeat(Vocabulary.Bos, capacity).ToArray();
        var nextSentence = new int[capacity];
        var nextScore = new double[capacity];
        var parents = new int[capacity];
        var candidates = new List<(double Score, int Row, int Token)>(k * c);
        int rows = sentences;
        int t = 0;
        for (; t < steps && rows > 0; t++)
        {
            scorer.Step(prev.AsSpan(0, rows), probs.AsSpan(0, rows * v));
            for (int r = 0; r < rows; r++)
            {
                trail.SetAttention(t, r, scorer.LastAttention(r));
                topCount[r] = TopK(probs.AsSpan(r * v, v), topToken.AsSpan(r * c, c), topValue.AsSpan(r * c, c));
            }
            int next = 0;
            for (int first = 0; first < rows;)
            {
                int s = sentenceOf[first], end = first;
                while (end < rows && sentenceOf[end] == s)
                    end++;
                candidates.Clear();
                for (int r = first; r < end; r++)
                    for (int j = 0; j < topCount[r]; j++)
                        candidates.Add((score[r] + topValue[r * c + j], r, topToken[r * c + j]));
                candidates.Sort(static (a, b) => b.Score.CompareTo(a.Score) != 0 ? b.Score.CompareTo(a.Score) : a.Row != b.Row ? a.Row.CompareTo(b.Row) : a.Token.CompareTo(b.Token));
                int start = next;
                foreach (var (sc, r, token) in candidates)
                {
                    if (next - start == k)
                        break;
                    // Every live row at step t holds t tokens.
                    if (token == Vocabulary.Eos || t + 1 >= limit[s])
                    {
                        if (finished[s].Count < k)
                            finished[s].Add(trail.Finish(t, r, token == Vocabulary.Eos ? -1 : token, sc, scorer.SourceLength(s), options));
                        continue;
                    }
                    parents[next] = r;
                    nextSentence[next] = s;
                    nextScore[next] = sc;
                    trail.Extend(t, next, r, token);
                    prev[next++] = token;
                }
                if (finished[s].Count >= k || t + 1 >= limit[s])
                    next = start; // the sentence is done: its rows go
                first = end;
            }
            if (next > 0)
                scorer.Reorder(parents.AsSpan(0, next));
            (sentenceOf, nextSentence) = (nextSentence, sentenceOf);
            (score, nextScore) = (nextScore, score);
            rows = next;
        }
        for (int r = 0; r < rows; r++)
        {
            int s = sentenceOf[r];
            if (finished[s].Count < options.NBest)
                finished[s].Add(trail.Unfinished(t, r, score[r], scorer.SourceLength(s), options));
        }
        return [.. finished.Select(f => f.OrderByDescending(h => h.Score).Take(options.NBest).ToArray())];
    }

    private static double Rank(double logProb, int length, double[] coverage, DecodeOptions o)
    {
        double lp = o.LengthPenalty == 0 ? 1 : Math.Pow((5.0 + length) / 6.0, o.LengthPenalty);
        double cp = 0;
        if (o.CoveragePenalty > 0)
            foreach (double c in coverage)
                cp += Math.Log(Math.Min(Math.Max(c, 1e-9), 1.0));
        return logProb / lp + o.CoveragePenalty * cp;
    }

    private static int[] Limits(IStepScorer scorer, int sentences, DecodeOptions o) =>
        [.. Enumerable.Range(0, sentences).Select(s => Math.Max(1, (int)Math.Ceiling(scorer.SourceLength(s) * o.MaxLengthRatio) + o.MaxLengthOffset))];

    /// <summary>
    /// The <c>best.Length</c> largest values of <paramref name="row"/>, largest first, ties to the lower index; returns
    /// how many were found (fewer only for a shorter row). A vector compare against the current smallest kept value
    /// skips most of the row; NaN is never kept.
    /// </summary>
    internal static int TopK(ReadOnlySpan<float> row, Span<int> best, Span<float> value)
    {
        int k = best.Length, n = 0, w = System.Numerics.Vector<float>.Count, j = 0;
        if (k == 0)
            return 0;
        float floor = float.NegativeInfinity; // below the k-th kept value nothing enters once k are kept
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(row);
            for (int b = 0; b < vectors.Length; b++)
            {
                if (n == k && !System.Numerics.Vector.GreaterThanAny(vectors[b], new System.Numerics.Vector<float>(floor)))
                    continue;
                for (int l = 0; l < w; l++)
                    Insert(row[b * w + l], b * w + l, best, value, ref n, ref floor);
            }
            j = vectors.Length * w;
        }
        for (; j < row.Length; j++)
            Insert(row[j], j, best, value, ref n, ref floor);
        return n;
    }

    private static void Insert(float x, int index, Span<int> best, Span<float> value, ref int n, ref float floor)
    {
        int k = best.Length;
        if (!(x > floor) && (n == k || float.IsNaN(x) || x < floor))
            return;
        int pos = n < k ? n++ : k - 1;
        while (pos > 0 && value[pos - 1] < x)
        {
            value[pos] = value[pos - 1];
            best[pos] = best[pos - 1];
            pos--;
        }
        value[pos] = x;
        best[pos] = index;
        if (n == k)
            floor = value[k - 1];
    }

    /// <summary>
    /// Histories as back-pointers: per step, each live row's parent row and last token, and the attention every row had;
    /// a hypothesis's tokens, attention and coverage are read back along its chain only when it is returned.
    /// </summary>
    private sealed class Trail(int steps, int capacity)
    {
        private readonly int[] _parent = new int[(steps + 1) * capacity];
        private readonly int[] _token = new int[(steps + 1) * capacity];
        private readonly float[]?[] _attention = new float[steps][];

        public void SetAttention(int t, int row, ReadOnlySpan<float> a)
        {
            var at = _attention[t] ??= new float[capacity * a.Length];
            a.CopyTo(at.AsSpan(row * a.Length, a.Length));
        }

        /// <summary>Row <paramref name="row"/> of step t + 1 continues row <paramref name="parent"/> of step t with a token.</summary>
        public void Extend(int t, int row, int parent, int token)
        {
            _parent[(t + 1) * capacity + row] = parent;
            _token[(t + 1) * capacity + row] = token;
        }

        /// <summary>Row <paramref name="row"/> of step t ends with <paramref name="last"/> (−1: it emitted &lt;/s&gt;).</summary>
        public Hypothesis Finish(int t, int row, int last, double logProb, int sourceLength, DecodeOptions o)
        {
            var (tokens, attention) = Read(t, row, withStep: true);
            if (last >= 0)
                tokens = [.. tokens, last];
            return new Hypothesis(tokens, logProb, Rank(logProb, tokens.Length + 1, Coverage(attention, sourceLength), o), attention);
        }

        /// <summary>Row <paramref name="row"/> of step t, still live when the search stopped.</summary>
        public Hypothesis Unfinished(int t, int row, double logProb, int sourceLength, DecodeOptions o)
        {
            var (tokens, attention) = Read(t, row, withStep: false);
            return new Hypothesis(tokens, logProb, Rank(logProb, tokens.Length, Coverage(attention, sourceLength), o), attention);
        }

        private (int[] Tokens, float[][] Attention) Read(int t, int row, bool withStep)
        {
            var tokens = new int[t];
            var attention = new float[withStep ? t + 1 : t][];
            int r = row;
            if (withStep)
                attention[t] = Attention(t, r);
            for (int u = t; u > 0; u--)
            {
                tokens[u - 1] = _token[u * capacity + r];
                r = _parent[u * capacity + r];
                attention[u - 1] = Attention(u - 1, r);
            }
            return (tokens, attention);
        }

        private float[] Attention(int t, int row)
        {
            var at = _attention[t]!;
            int s = at.Length / capacity;
            return at.AsSpan(row * s, s).ToArray();
        }

        // The attention summed over the steps, over the sentence's source words (not the batch's padding).
        private static double[] Coverage(float[][] attention, int sourceLength)
        {
            var c = new double[sourceLength];
            foreach (var a in attention)
                for (int i = 0; i < c.Length; i++)
                    c[i] += a[i];
            return c;
        }
    }
}
