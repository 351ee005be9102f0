using LstmNative.Translation;
using NUnit.Framework;

namespace LstmNative.Tests.Translation;

/// <summary>
/// The compact beam search (live rows only, back-pointer histories) against a plain one that keeps every beam slot and
/// copies whole histories each step, on a scorer whose log-probabilities and attention are a seeded function of the
/// sentence and the prefix: both must return the same hypotheses, scores and attention.
/// </summary>
public class BeamSearchReferenceTests
{
    private const int V = 11;

    /// <summary>Log-probabilities and attention as a pure function of (seed, sentence, prefix).</summary>
    private sealed class PrefixModel(int seed, int[] sourceLengths)
    {
        public int Sentences => sourceLengths.Length;
        public int SourceSteps { get; } = sourceLengths.Max();
        public int SourceLength(int s) => sourceLengths[s];

        public (float[] LogProbs, float[] Attention) At(int sentence, IReadOnlyList<int> prefix)
        {
            int h = HashCode.Combine(seed, sentence);
            foreach (int t in prefix)
                h = HashCode.Combine(h, t);
            var rng = new Random(h);
            var z = new double[V];
            for (int j = 0; j < V; j++)
                z[j] = rng.NextDouble() * 4;
            z[Vocabulary.Pad] = z[Vocabulary.Bos] = -30;
            z[Vocabulary.Eos] += 0.5 * prefix.Count - 1.5; // sentences end, at different lengths
            double max = z.Max(), lse = max + Math.Log(z.Sum(x => Math.Exp(x - max)));
            var a = new float[SourceSteps];
            double total = 0;
            for (int i = 0; i < sourceLengths[sentence]; i++)
                total += a[i] = (float)(rng.NextDouble() + 0.05);
            for (int i = 0; i < a.Length; i++)
                a[i] = (float)(a[i] / total);
            return ([.. z.Select(x => (float)(x - lse))], a);
        }
    }

    /// <summary>The scorer the search drives: one prefix per live row, gathered on reorder.</summary>
    private sealed class PrefixScorer(PrefixModel model) : IStepScorer
    {
        private List<(int Sentence, List<int> Prefix)> _rows = [];
        private float[][] _attention = [];
        public int MaxRowsSeen { get; private set; }
        public int RowsScored { get; private set; }

        public int Vocabulary => V;
        public int SourceLength(int sentence) => model.SourceLength(sentence);

        private bool _started;

        public void Begin(int capacity)
        {
            _rows = [.. Enumerable.Range(0, model.Sentences).Select(s => (s, new List<int>()))];
            _started = false;
        }

        public void Step(ReadOnlySpan<int> previous, Span<float> logProbs)
        {
            Assert.That(previous.Length, Is.EqualTo(_rows.Count));
            MaxRowsSeen = Math.Max(MaxRowsSeen, _rows.Count);
            RowsScored += _rows.Count;
            _attention = new float[_rows.Count][];
            for (int r = 0; r < _rows.Count; r++)
            {
                if (_started)
                    _rows[r].Prefix.Add(previous[r]);
                var (lp, a) = model.At(_rows[r].Sentence, _rows[r].Prefix);
                lp.CopyTo(logProbs.Slice(r * V, V));
                _attention[r] = a;
            }
            _started = true;
        }

        public ReadOnlySpan<float> LastAttention(int row) => _attention[row];

        public void Reorder(ReadOnlySpan<int> parents)
        {
            var next = new List<(int, List<int>)>(parents.Length);
            foreach (int p in parents)
                next.Add((_rows[p].Sentence, [.. _rows[p].Prefix]));
            _rows = next;
        }
    }

    /// <summary>
    /// The search as first written: every sentence keeps <c>k</c> slots (empty ones at −∞), every slot is scored every
    /// step, histories and coverage are copied per hypothesis.
    /// </summary>
    private static Hypothesis[][] PlainSearch(PrefixModel m, DecodeOptions o)
    {
        int k = o.BeamSize, n = m.Sentences, rows = n * k;
        int Limit(int s) => Math.Max(1, (int)Math.Ceiling(m.SourceLength(s) * o.MaxLengthRatio) + o.MaxLengthOffset);
        double Rank(double lp, int len, double[] cov)
        {
            double pen = o.LengthPenalty == 0 ? 1 : Math.Pow((5.0 + len) / 6.0, o.LengthPenalty);
            double cp = 0;
            if (o.CoveragePenalty > 0)
                foreach (double c in cov)
                    cp += Math.Log(Math.Min(Math.Max(c, 1e-9), 1.0));
            return lp / pen + o.CoveragePenalty * cp;
        }
        var score = new double[rows];
        var hist = new List<int>[rows];
        var attn = new List<float[]>[rows];
        var cov = new double[rows][];
        for (int r = 0; r < rows; r++)
        {
            score[r] = r % k == 0 ? 0 : double.NegativeInfinity;
            hist[r] = [];
            attn[r] = [];
            cov[r] = new double[m.SourceLength(r / k)];
        }
        var finished = Enumerable.Range(0, n).Select(_ => new List<Hypothesis>()).ToArray();
        var active = Enumerable.Repeat(true, n).ToArray();
        int maxLen = Enumerable.Range(0, n).Max(Limit);
        for (int t = 0; t < maxLen && active.Contains(true); t++)
        {
            var newHist = new List<int>[rows];
            var newAttn = new List<float[]>[rows];
            var newCov = new double[rows][];
            var newScore = new double[rows];
            for (int s = 0; s < n; s++)
            {
                int limit = Limit(s);
                if (!active[s])
                {
                    for (int j = 0; j < k; j++)
                        (newHist[s * k + j], newAttn[s * k + j], newCov[s * k + j], newScore[s * k + j]) = (hist[s * k + j], attn[s * k + j], cov[s * k + j], double.NegativeInfinity);
                    continue;
                }
                var cands = new List<(double Score, int Row, int Token, float[] A)>();
                for (int j = 0; j < k; j++)
                {
                    int r = s * k + j;
                    if (double.IsNegativeInfinity(score[r]))
                        continue;
                    var (lp, a) = m.At(s, hist[r]);
                    var order = Enumerable.Range(0, V).OrderByDescending(x => lp[x]).ThenBy(x => x).Take(Math.Min(V, 2 * k));
                    foreach (int token in order)
                        cands.Add((score[r] + lp[token], r, token, a));
                }
                cands.Sort((a, b) => b.Score.CompareTo(a.Score) != 0 ? b.Score.CompareTo(a.Score) : a.Row != b.Row ? a.Row.CompareTo(b.Row) : a.Token.CompareTo(b.Token));
                int filled = 0;
                foreach (var (sc, r, token, a) in cands)
                {
                    if (filled == k)
                        break;
                    var c = (double[])cov[r].Clone();
                    for (int i = 0; i < c.Length; i++)
                        c[i] += a[i];
                    if (token == Vocabulary.Eos || hist[r].Count + 1 >= limit)
                    {
                        if (finished[s].Count < k)
                        {
                            int[] toks = token == Vocabulary.Eos ? [.. hist[r]] : [.. hist[r], token];
                            finished[s].Add(new Hypothesis(toks, sc, Rank(sc, toks.Length + 1, c), [.. attn[r], a]));
                        }
                        continue;
                    }
                    int dst = s * k + filled++;
                    (newHist[dst], newAttn[dst], newCov[dst], newScore[dst]) = ([.. hist[r], token], [.. attn[r], a], c, sc);
                }
                for (; filled < k; filled++)
                    (newHist[s * k + filled], newAttn[s * k + filled], newCov[s * k + filled], newScore[s * k + filled]) = ([], [], new double[m.SourceLength(s)], double.NegativeInfinity);
                if (finished[s].Count >= k || t + 1 >= limit)
                    active[s] = false;
            }
            (hist, attn, cov, score) = (newHist, newAttn, newCov, newScore);
        }
        for (int s = 0; s < n; s++)
            for (int j = 0; j < k && finished[s].Count < o.NBest; j++)
            {
                int r = s * k + j;
                if (!double.IsNegativeInfinity(score[r]))
                    finished[s].Add(new Hypothesis([.. hist[r]], score[r], Rank(score[r], hist[r].Count, cov[r]), [.. attn[r]]));
            }
        return [.. finished.Select(f => f.OrderByDescending(h => h.Score).Take(o.NBest).ToArray())];
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData(1, 1, 0.6, 0.0).SetArgDisplayNames("beam 1");
        yield return new TestCaseData(2, 2, 0.0, 0.0).SetArgDisplayNames("beam 2, raw log-probabilities");
        yield return new TestCaseData(5, 1, 0.6, 0.0).SetArgDisplayNames("beam 5");
        yield return new TestCaseData(5, 3, 1.0, 0.2).SetArgDisplayNames("beam 5, 3-best, coverage penalty");
        yield return new TestCaseData(7, 7, 0.6, 0.0).SetArgDisplayNames("beam 7 > V/2, 7-best");
    }

    [TestCaseSource(nameof(Cases))]
    public void CompactSearchEqualsThePlainOne(int beam, int nBest, double alpha, double beta)
    {
        int seed = TestContext.CurrentContext.Random.Next();
        var rng = new Random(seed);
        int[] lengths = [.. Enumerable.Range(0, 1 + rng.Next(6)).Select(_ => 1 + rng.Next(7))];
        var model = new PrefixModel(seed, lengths);
        var options = new DecodeOptions { BeamSize = beam, NBest = nBest, LengthPenalty = alpha, CoveragePenalty = beta, MaxLengthRatio = 1.5, MaxLengthOffset = 2 };
        var scorer = new PrefixScorer(model);
        var got = BeamSearch.Search(scorer, lengths.Length, options);
        var want = PlainSearch(model, options);
        Assert.That(got, Has.Length.EqualTo(want.Length));
        for (int s = 0; s < want.Length; s++)
        {
            Assert.That(got[s], Has.Length.EqualTo(want[s].Length), $"sentence {s}: n-best count");
            for (int i = 0; i < want[s].Length; i++)
            {
                var (g, w) = (got[s][i], want[s][i]);
                Assert.That(g.Tokens, Is.EqualTo(w.Tokens), $"sentence {s} hypothesis {i}");
                Assert.That(g.LogProbability, Is.EqualTo(w.LogProbability), $"sentence {s} hypothesis {i}");
                Assert.That(g.Score, Is.EqualTo(w.Score).Within(1e-12), $"sentence {s} hypothesis {i}");
                Assert.That(g.Attention, Is.EqualTo(w.Attention), $"sentence {s} hypothesis {i} attention");
            }
        }
        Assert.That(scorer.MaxRowsSeen, Is.LessThanOrEqualTo(lengths.Length * beam), "more rows than the capacity");
    }

    [Test]
    public void FinishedSentencesAndEmptySlotsAreNotScored()
    {
        // One short and one long sentence: once the short one is done, only the long one's rows are scored; the first
        // step scores one row per sentence, not one per beam slot.
        var model = new PrefixModel(7, [1, 7]);
        var scorer = new PrefixScorer(model);
        var options = new DecodeOptions { BeamSize = 4, MaxLengthRatio = 1, MaxLengthOffset = 1 };
        BeamSearch.Search(scorer, 2, options);
        int plainRows = 2 * 4 * 8; // every slot, until the longer sentence's limit (8 steps)
        Assert.That(scorer.RowsScored, Is.LessThan(plainRows));
        var greedyScorer = new PrefixScorer(model);
        var greedy = BeamSearch.Greedy(greedyScorer, 2, options);
        Assert.That(greedyScorer.RowsScored, Is.EqualTo(greedy.Sum(h => h.Attention.Length)), "greedy scores each live sentence once per output step");
    }

    [Test]
    public void GreedyEqualsBeamOfOne()
    {
        int seed = TestContext.CurrentContext.Random.Next();
        var model = new PrefixModel(seed, [3, 1, 6, 2]);
        var options = new DecodeOptions { BeamSize = 1, LengthPenalty = 0 };
        var greedy = BeamSearch.Greedy(new PrefixScorer(model), 4, options);
        var beam = BeamSearch.Search(new PrefixScorer(model), 4, options);
        for (int s = 0; s < 4; s++)
        {
            Assert.That(greedy[s].Tokens, Is.EqualTo(beam[s][0].Tokens));
            Assert.That(greedy[s].LogProbability, Is.EqualTo(beam[s][0].LogProbability).Within(1e-5));
        }
    }

    [Test]
    public void TopKKeepsTheLargestWithTiesToTheLowerIndex([Values(1, 2, 10)] int k, [Values(1, 5, 16, 17, 100, 5921)] int n)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var row = new float[n];
        for (int i = 0; i < n; i++)
            row[i] = rng.Next(20) - 10; // many ties
        row[rng.Next(n)] = float.NaN;
        var best = new int[k];
        var value = new float[k];
        int found = BeamSearch.TopK(row, best, value);
        var want = Enumerable.Range(0, n).Where(i => !float.IsNaN(row[i])).OrderByDescending(i => row[i]).ThenBy(i => i).Take(k).ToArray();
        Assert.That(found, Is.EqualTo(want.Length));
        Assert.That(best[..found], Is.EqualTo(want));
    }
}
