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
/// What beam search needs from a model: per-row next-token log-probabilities, reordering of rows after selection,
/// and each row's attention of the last step (for coverage and heat maps).
/// </summary>
public interface IStepScorer
{
    /// <summary>Target vocabulary size.</summary>
    int Vocabulary { get; }

    /// <summary>Source length of sentence <paramref name="sentence"/> (for the maximum length and coverage).</summary>
    int SourceLength(int sentence);

    /// <summary>Prepares <paramref name="beam"/> rows per sentence (row = sentence × beam + k), all at the start state.</summary>
    void Begin(int beam);

    /// <summary>Feeds each row's previous token and writes log-probabilities <c>[rows, V]</c>.</summary>
    void Step(ReadOnlySpan<int> previous, Span<float> logProbs);

    /// <summary>Row <c>r</c> continues from row <c>parents[r]</c>.</summary>
    void Reorder(ReadOnlySpan<int> parents);

    /// <summary>The attention of row <paramref name="row"/> at the last step (source positions).</summary>
    ReadOnlySpan<float> LastAttention(int row);
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
        scorer.Begin(1);
        var prev = Enumerable.Repeat(Vocabulary.Bos, sentences).ToArray();
        var tokens = Enumerable.Range(0, sentences).Select(_ => new List<int>()).ToArray();
        var attn = Enumerable.Range(0, sentences).Select(_ => new List<float[]>()).ToArray();
        var logp = new double[sentences];
        var done = new bool[sentences];
        var probs = new float[sentences * v];
        int maxLen = Enumerable.Range(0, sentences).Max(s => MaxLength(scorer, s, options));
        for (int t = 0; t < maxLen && done.Contains(false); t++)
        {
            scorer.Step(prev, probs);
            for (int s = 0; s < sentences; s++)
            {
                if (done[s])
                {
                    prev[s] = Vocabulary.Pad;
                    continue;
                }
                var row = probs.AsSpan(s * v, v);
                int best = 0;
                for (int j = 1; j < v; j++)
                    if (row[j] > row[best])
                        best = j;
                logp[s] += row[best];
                attn[s].Add(scorer.LastAttention(s).ToArray());
                if (best == Vocabulary.Eos)
                    done[s] = true;
                else
                    tokens[s].Add(best);
                if (tokens[s].Count >= MaxLength(scorer, s, options))
                    done[s] = true;
                prev[s] = best;
            }
        }
        return [.. Enumerable.Range(0, sentences).Select(s => new Hypothesis([.. tokens[s]], logp[s], logp[s], [.. attn[s]]))];
    }

    /// <summary>
    /// Beam search for all sentences at once: each keeps <c>BeamSize</c> live hypotheses; a hypothesis that emits
    /// <c>&lt;/s&gt;</c> leaves the beam as finished; a sentence stops when it has <c>BeamSize</c> finished ones or
    /// reaches its maximum length. Returns the n-best per sentence, best first.
    /// </summary>
    public static Hypothesis[][] Search(IStepScorer scorer, int sentences, DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int k = options.BeamSize, v = scorer.Vocabulary, rows = sentences * k;
        scorer.Begin(k);
        var probs = new float[rows * v];
        var score = new double[rows];
        for (int r = 0; r < rows; r++)
            score[r] = r % k == 0 ? 0 : double.NegativeInfinity;
        var hist = new List<int>[rows];
        var attn = new List<float[]>[rows];
        var cov = new double[rows][];
        for (int r = 0; r < rows; r++)
        {
            hist[r] = [];
            attn[r] = [];
            cov[r] = new double[scorer.SourceLength(r / k)];
        }
        var finished = Enumerable.Range(0, sentences).Select(_ => new List<Hypothesis>()).ToArray();
        var active = Enumerable.Repeat(true, sentences).ToArray();
        var prev = Enumerable.Repeat(Vocabulary.Bos, rows).ToArray();
        var parents = new int[rows];
        var candidates = new List<(double Score, int Row, int Token)>(2 * k * k);
        int maxLen = Enumerable.Range(0, sentences).Max(s => MaxLength(scorer, s, options));
        for (int t = 0; t < maxLen && active.Contains(true); t++)
        {
            scorer.Step(prev, probs);
            var newHist = new List<int>[rows];
            var newAttn = new List<float[]>[rows];
            var newCov = new double[rows][];
            var newScore = new double[rows];
            var newPrev = new int[rows];
            for (int s = 0; s < sentences; s++)
            {
                int limit = MaxLength(scorer, s, options);
                if (!active[s])
                {
                    for (int j = 0; j < k; j++)
                    {
                        int r = s * k + j;
                        parents[r] = r;
                        newHist[r] = hist[r];
                        newAttn[r] = attn[r];
                        newCov[r] = cov[r];
                        newScore[r] = double.NegativeInfinity;
                        newPrev[r] = Vocabulary.Pad;
                    }
                    continue;
                }
                candidates.Clear();
                for (int j = 0; j < k; j++)
                {
                    int r = s * k + j;
                    if (double.IsNegativeInfinity(score[r]))
                        continue;
                    var row = probs.AsSpan(r * v, v);
                    foreach (int token in TopK(row, Math.Min(v, 2 * k)))
                        candidates.Add((score[r] + row[token], r, token));
                }
                candidates.Sort((a, b) => b.Score.CompareTo(a.Score) != 0 ? b.Score.CompareTo(a.Score) : a.Row != b.Row ? a.Row.CompareTo(b.Row) : a.Token.CompareTo(b.Token));
                int filled = 0;
                foreach (var (sc, r, token) in candidates)
                {
                    if (filled == k)
                        break;
                    var a = scorer.LastAttention(r).ToArray();
                    bool ends = token == Vocabulary.Eos || hist[r].Count + 1 >= limit;
                    if (ends)
                    {
                        if (finished[s].Count < k)
                        {
                            var toks = token == Vocabulary.Eos ? hist[r].ToArray() : [.. hist[r], token];
                            var c = (double[])cov[r].Clone();
                            for (int i = 0; i < c.Length; i++)
                                c[i] += a[i];
                            finished[s].Add(new Hypothesis(toks, sc, Rank(sc, toks.Length + 1, c, options), [.. attn[r], a]));
                        }
                        continue;
                    }
                    int dst = s * k + filled++;
                    parents[dst] = r;
                    newHist[dst] = [.. hist[r], token];
                    newAttn[dst] = [.. attn[r], a];
                    var nc = (double[])cov[r].Clone();
                    for (int i = 0; i < nc.Length; i++)
                        nc[i] += a[i];
                    newCov[dst] = nc;
                    newScore[dst] = sc;
                    newPrev[dst] = token;
                }
                for (; filled < k; filled++)
                {
                    int dst = s * k + filled;
                    parents[dst] = s * k;
                    newHist[dst] = [];
                    newAttn[dst] = [];
                    newCov[dst] = new double[cov[s * k].Length];
                    newScore[dst] = double.NegativeInfinity;
                    newPrev[dst] = Vocabulary.Pad;
                }
                if (finished[s].Count >= k || t + 1 >= limit)
                    active[s] = false;
            }
            scorer.Reorder(parents);
            hist = newHist;
            attn = newAttn;
            cov = newCov;
            score = newScore;
            prev = newPrev;
        }
        for (int s = 0; s < sentences; s++)
            for (int j = 0; j < k && finished[s].Count < options.NBest; j++)
            {
                int r = s * k + j;
                if (!double.IsNegativeInfinity(score[r]))
                    finished[s].Add(new Hypothesis([.. hist[r]], score[r], Rank(score[r], hist[r].Count, cov[r], options), [.. attn[r]]));
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

    private static int MaxLength(IStepScorer scorer, int sentence, DecodeOptions o) =>
        Math.Max(1, (int)Math.Ceiling(scorer.SourceLength(sentence) * o.MaxLengthRatio) + o.MaxLengthOffset);

    private static int[] TopK(ReadOnlySpan<float> row, int k)
    {
        var best = new int[k];
        var val = new float[k];
        int n = 0;
        for (int j = 0; j < row.Length; j++)
        {
            float x = row[j];
            if (n == k && x <= val[k - 1])
                continue;
            int pos = n < k ? n++ : k - 1;
            while (pos > 0 && val[pos - 1] < x)
            {
                val[pos] = val[pos - 1];
                best[pos] = best[pos - 1];
                pos--;
            }
            val[pos] = x;
            best[pos] = j;
        }
        return best[..n];
    }
}
