using LstmNative.Translation.Scoring;
using NUnit.Framework;

namespace LstmNative.Tests.Translation;

/// <summary>Corpus BLEU against cases computed by hand with multi-bleu.perl's rules.</summary>
public sealed class BleuTests
{
    private static string[] T(string s) => s.Split(' ');

    [Test]
    public void Identical_corpus_scores_100()
    {
        var score = Bleu.Corpus([T("a man rides a horse .")], [T("a man rides a horse .")]);
        Assert.That(score.Score, Is.EqualTo(1.0).Within(1e-12));
        Assert.That(score.ToString(), Is.EqualTo("BLEU = 100.00, 100.0/100.0/100.0/100.0 (BP=1.000, ratio=1.000, hyp_len=6, ref_len=6)"));
    }

    [Test]
    public void Clipped_precisions_and_brevity_penalty_match_a_hand_computation()
    {
        // hyp "the the cat sat on mat" (6) vs ref "the cat sat on the mat" (6):
        // 1-grams: the x2 (ref has 2) cat sat on mat -> 6/6; 2-grams: "the the" no, "the cat" "cat sat" "sat on" yes, "on mat" no -> 3/5;
        // 3-grams: "the cat sat" "cat sat on" yes -> 2/4; 4-grams: "the cat sat on" -> 1/3.
        var score = Bleu.Corpus([T("the the cat sat on mat")], [T("the cat sat on the mat")]);
        Assert.That(score.Correct, Is.EqualTo(new long[] { 6, 3, 2, 1 }));
        Assert.That(score.Total, Is.EqualTo(new long[] { 6, 5, 4, 3 }));
        double expected = Math.Exp((Math.Log(1.0) + Math.Log(3.0 / 5) + Math.Log(2.0 / 4) + Math.Log(1.0 / 3)) / 4);
        Assert.That(score.Score, Is.EqualTo(expected).Within(1e-12));
        Assert.That(score.BrevityPenalty, Is.EqualTo(1.0));
        Assert.That(score.ToString(), Is.EqualTo("BLEU = 56.23, 100.0/60.0/50.0/33.3 (BP=1.000, ratio=1.000, hyp_len=6, ref_len=6)"));
    }

    [Test]
    public void Counts_sum_over_the_corpus_before_the_mean_and_short_output_is_penalised()
    {
        // Sentence 1: hyp "a b c d" ref "a b c d e f" -> 4/4, 3/3, 2/2, 1/1. Sentence 2: hyp "x y z w" ref "x y z q" -> 3/4, 2/3, 1/2, 0/1.
        // Corpus: 7/8, 5/6, 3/4, 1/2; c = 8, r = 10, BP = exp(1 - 10/8).
        var score = Bleu.Corpus([T("a b c d"), T("x y z w")], [T("a b c d e f"), T("x y z q")]);
        Assert.That(score.Correct, Is.EqualTo(new long[] { 7, 5, 3, 1 }));
        Assert.That(score.Total, Is.EqualTo(new long[] { 8, 6, 4, 2 }));
        double bp = Math.Exp(1 - 10.0 / 8);
        Assert.That(score.BrevityPenalty, Is.EqualTo(bp).Within(1e-12));
        double expected = bp * Math.Exp((Math.Log(7.0 / 8) + Math.Log(5.0 / 6) + Math.Log(3.0 / 4) + Math.Log(1.0 / 2)) / 4);
        Assert.That(score.Score, Is.EqualTo(expected).Within(1e-12));
        Assert.That(score.ToString(), Does.StartWith($"BLEU = {100 * expected:F2}, 87.5/83.3/75.0/50.0 (BP=0.779, ratio=0.800, hyp_len=8, ref_len=10)"));
    }

    [Test]
    public void A_zero_precision_gives_zero_without_smoothing()
    {
        // Three-word hypotheses have no 4-grams at all: total 0, precision 0, BLEU 0 (multi-bleu does not smooth).
        var score = Bleu.Corpus([T("a b c")], [T("a b c")]);
        Assert.That(score.Total[3], Is.Zero);
        Assert.That(score.Score, Is.Zero);
        Assert.That(score.ToString(), Is.EqualTo("BLEU = 0.00, 100.0/100.0/100.0/0.0 (BP=1.000, ratio=1.000, hyp_len=3, ref_len=3)"));
    }

    [Test]
    public void Empty_hypotheses_score_zero_and_mismatched_counts_are_refused()
    {
        Assert.That(Bleu.Corpus([Array.Empty<string>()], [T("a b c d")]).Score, Is.Zero);
        Assert.Throws<ArgumentException>(() => Bleu.Corpus([T("a")], [T("a"), T("b")]));
    }
}
