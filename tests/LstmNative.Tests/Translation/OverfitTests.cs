using System.Diagnostics;
using LstmNative.Translation;
using NUnit.Framework;

namespace LstmNative.Tests.Translation;

/// <summary>
/// Issue 14's acceptance check that the whole training path learns: a small model memorises 200 Multi30k training pairs
/// to corpus BLEU ≥ 90 (greedy and beam) on those same pairs in about half a minute of training, through the public
/// <see cref="TranslationTrainer"/> and <see cref="Translator"/> APIs (checkpoint written and loaded back included).
/// </summary>
public class OverfitTests
{
    private const int Pairs = 200;

    [Test]
    [CancelAfter(300_000)]
    public void SmallModelMemorises200PairsToBleu90WithinAMinute()
    {
        // The first 200 pairs of the training split as they are (no shorter ones picked): they average 13 target words.
        string dir = Path.Combine(TestPaths.RequireShared(), "data", "multi30k");
        string de = Path.Combine(dir, "train.lc.norm.tok.de"), en = Path.Combine(dir, "train.lc.norm.tok.en");
        if (!File.Exists(de) || !File.Exists(en))
            Assert.Ignore($"Multi30k training split not found in {dir} (shared data absent)");
        string[] src = [.. File.ReadLines(de).Take(Pairs)];
        string[] tgt = [.. File.ReadLines(en).Take(Pairs)];
        var sv = Vocabulary.Build(src, 1);
        var tv = Vocabulary.Build(tgt, 1);
        var corpus = ParallelCorpus.Encode(src, tgt, sv, tv);
        // Memorising, not generalising: no dropout or label smoothing, a high learning rate, small batches (more updates
        // per epoch), the training pairs as the validation set so that the saved best checkpoint is the best memoriser.
        // Tuned by tracing greedy BLEU after every epoch (seed 7, 2 cores): 35 at epoch 12, 93.7 at 22, 99.2 at 25,
        // 99.9 at 30; 30 epochs leave that margin. Those 30 epochs took 15 s on the idle 2-core Zen 4 (34 s beside a
        // training job); the one minute is checked as a warning, not a time budget: on a machine shared with
        // un-niced work the same run took 66 s, and the memorising, not the host's load, is what this test is about.
        var settings = new TranslationSettings
        {
            EmbeddingSize = 64, HiddenSize = 128, Dropout = 0, LabelSmoothing = 0, MinCount = 1,
            BatchSize = 20, LearningRate = 0.01, Epochs = 30, Patience = 100, Seed = 7,
        };
        var model = new Seq2SeqModel<float>(settings, sv.Count, tv.Count, new Random(settings.Seed));
        string checkpoint = Path.Combine(Path.GetTempPath(), $"lstmnative-overfit-{Guid.NewGuid():N}.safetensors");
        try
        {
            var clock = Stopwatch.StartNew();
            var summary = TranslationTrainer.Train(model, corpus, corpus, sv, tv, checkpoint);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var translator = Translator.Load(checkpoint);
            var greedy = Bleu.Corpus([.. translator.TranslateBatch(src, new DecodeOptions { BeamSize = 1 }).Select(t => t.Text)], tgt);
            double greedySeconds = clock.Elapsed.TotalSeconds - trainSeconds;
            var beam = Bleu.Corpus([.. translator.TranslateBatch(src, new DecodeOptions { BeamSize = 5 }).Select(t => t.Text)], tgt);
            TestContext.Out.WriteLine($"{summary.Epochs:F0} epochs ({summary.StopReason}) in {trainSeconds:F1} s, {summary.TokensPerSecond:F0} tok/s, " +
                $"best loss {summary.BestValidationLoss:F4}; greedy {greedy} ({greedySeconds:F1} s); beam 5 {beam}; total {clock.Elapsed.TotalSeconds:F1} s");
            Assert.That(greedy.Score, Is.GreaterThanOrEqualTo(90), $"greedy: {greedy}");
            Assert.That(beam.Score, Is.GreaterThanOrEqualTo(90), $"beam 5: {beam}");
            Assert.That(summary.Epochs, Is.EqualTo(settings.Epochs), summary.StopReason);
            if (trainSeconds > 60)
                Assert.Warn($"training took {trainSeconds:F0} s, over the issue's one minute (a loaded machine?)");
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }
}
