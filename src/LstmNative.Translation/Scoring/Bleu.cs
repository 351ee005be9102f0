using System.Globalization;

namespace LstmNative.Translation.Scoring;

/// <summary>
/// Corpus BLEU-4 with the semantics of Moses' <c>multi-bleu.perl</c> (one reference per sentence): clipped n-gram
/// matches and n-gram totals summed over the corpus for n = 1..4, the geometric mean of the four precisions (a zero
/// precision makes BLEU 0: no smoothing), and the corpus brevity penalty <c>exp(1 - r/c)</c> when <c>c &lt; r</c>.
/// Tokens are compared as given (case-sensitive, ordinal).
/// </summary>
public static class Bleu
{
    /// <summary>Highest n-gram order.</summary>
    public const int MaxOrder = 4;

    /// <summary>Scores tokenized hypotheses against one tokenized reference each.</summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static BleuScore Corpus(IReadOnlyList<IReadOnlyList<string>> hypotheses, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references: one reference per hypothesis", nameof(references));
        var correct = new long[MaxOrder];
        var total = new long[MaxOrder];
        long hypothesisLength = 0, referenceLength = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var hypothesis = hypotheses[i];
            var reference = references[i];
            hypothesisLength += hypothesis.Count;
            referenceLength += reference.Count;
            for (int n = 1; n <= MaxOrder; n++)
            {
                var referenceCounts = Count(reference, n);
                foreach (var (ngram, count) in Count(hypothesis, n))
                {
                    total[n - 1] += count;
                    correct[n - 1] += Math.Min(count, referenceCounts.GetValueOrDefault(ngram));
                }
            }
        }
        return new BleuScore(correct, total, hypothesisLength, referenceLength);
    }

    private static Dictionary<string, int> Count(IReadOnlyList<string> tokens, int n)
    {
        // Tokens never contain white space, so joining with a space identifies an n-gram uniquely.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int start = 0; start + n <= tokens.Count; start++)
        {
            string key = string.Join(' ', tokens.Skip(start).Take(n));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }
}

/// <summary>The statistics and score of one corpus BLEU computation (see <see cref="Bleu"/>).</summary>
public sealed class BleuScore
{
    internal BleuScore(long[] correct, long[] total, long hypothesisLength, long referenceLength)
    {
        Correct = correct;
        Total = total;
        HypothesisLength = hypothesisLength;
        ReferenceLength = referenceLength;
        Precisions = [.. correct.Zip(total, (c, t) => t == 0 ? 0.0 : (double)c / t)];
        if (hypothesisLength == 0 || referenceLength == 0)
        {
            BrevityPenalty = 0;
            Score = 0;
            return;
        }
        BrevityPenalty = hypothesisLength < referenceLength ? Math.Exp(1.0 - (double)referenceLength / hypothesisLength) : 1.0;
        Score = Precisions.Any(p => p == 0) ? 0 : BrevityPenalty * Math.Exp(Precisions.Average(Math.Log));
    }

    /// <summary>Clipped n-gram matches for n = 1..4 (index n - 1).</summary>
    public IReadOnlyList<long> Correct { get; }

    /// <summary>Hypothesis n-grams for n = 1..4 (index n - 1).</summary>
    public IReadOnlyList<long> Total { get; }

    /// <summary>Modified n-gram precisions in [0, 1] (index n - 1).</summary>
    public IReadOnlyList<double> Precisions { get; }

    /// <summary>Total hypothesis tokens.</summary>
    public long HypothesisLength { get; }

    /// <summary>Total reference tokens.</summary>
    public long ReferenceLength { get; }

    /// <summary>The brevity penalty (1 when the hypotheses are at least as long as the references).</summary>
    public double BrevityPenalty { get; }

    /// <summary>BLEU in [0, 1]; <see cref="ToString"/> prints it times 100, as multi-bleu does.</summary>
    public double Score { get; }

    /// <summary>Hypothesis length over reference length.</summary>
    public double Ratio => ReferenceLength == 0 ? 0 : (double)HypothesisLength / ReferenceLength;

    /// <summary>The line multi-bleu.perl prints, e.g. <c>BLEU = 31.20, 64.1/39.0/25.6/17.1 (BP=0.980, ratio=0.980, hyp_len=12707, ref_len=12968)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"BLEU = {100 * Score:F2}, {100 * Precisions[0]:F1}/{100 * Precisions[1]:F1}/{100 * Precisions[2]:F1}/{100 * Precisions[3]:F1} "
        + $"(BP={BrevityPenalty:F3}, ratio={Ratio:F3}, hyp_len={HypothesisLength}, ref_len={ReferenceLength})");
}
