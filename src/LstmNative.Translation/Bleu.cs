using System.Globalization;

namespace LstmNative.Translation;

/// <summary>Corpus BLEU-4 with the parts multi-bleu.perl prints.</summary>
/// <param name="Score">BLEU × 100.</param>
/// <param name="Precisions">Clipped n-gram precisions 1–4, × 100.</param>
/// <param name="BrevityPenalty">Corpus brevity penalty.</param>
/// <param name="Ratio">Hypothesis length / reference length.</param>
/// <param name="HypothesisLength">Hypothesis tokens.</param>
/// <param name="ReferenceLength">Reference tokens.</param>
public sealed record BleuScore(double Score, double[] Precisions, double BrevityPenalty, double Ratio, long HypothesisLength, long ReferenceLength)
{
    /// <summary>The line multi-bleu.perl prints: <c>BLEU = 31.20, 64.1/39.0/25.6/17.1 (BP=0.980, ratio=0.980, hyp_len=…, ref_len=…)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"BLEU = {Score:F2}, {Precisions[0]:F1}/{Precisions[1]:F1}/{Precisions[2]:F1}/{Precisions[3]:F1} (BP={BrevityPenalty:F3}, ratio={Ratio:F3}, hyp_len={HypothesisLength}, ref_len={ReferenceLength})");
}

/// <summary>
/// Corpus BLEU-4 with multi-bleu.perl semantics: whitespace tokens, one reference per line, clipped n-gram counts
/// summed over the corpus, geometric mean of the four precisions, corpus brevity penalty, no smoothing (any zero
/// precision gives 0).
/// </summary>
public static class Bleu
{
    /// <summary>Scores hypotheses against references (line-aligned, tokenized by whitespace).</summary>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references");
        var correct = new long[4];
        var total = new long[4];
        long hypLen = 0, refLen = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var h = Vocabulary.Tokenize(hypotheses[i]);
            var r = Vocabulary.Tokenize(references[i]);
            hypLen += h.Length;
            refLen += r.Length;
            for (int n = 1; n <= 4; n++)
            {
                var refCounts = Counts(r, n);
                foreach (var (gram, count) in Counts(h, n))
                    correct[n - 1] += Math.Min(count, refCounts.GetValueOrDefault(gram));
                total[n - 1] += Math.Max(0, h.Length - n + 1);
            }
        }
        var p = new double[4];
        double logSum = 0;
        bool zero = false;
        for (int n = 0; n < 4; n++)
        {
            p[n] = total[n] == 0 ? 0 : (double)correct[n] / total[n];
            if (p[n] == 0)
                zero = true;
            else
                logSum += Math.Log(p[n]);
        }
        double bp = hypLen == 0 ? 0 : hypLen < refLen ? Math.Exp(1 - (double)refLen / hypLen) : 1;
        double bleu = zero ? 0 : bp * Math.Exp(logSum / 4);
        return new BleuScore(100 * bleu, [.. p.Select(x => 100 * x)], bp, refLen == 0 ? 0 : (double)hypLen / refLen, hypLen, refLen);
    }

    private static Dictionary<string, int> Counts(string[] tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Length; i++)
        {
            string gram = string.Join(' ', tokens, i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }
}
