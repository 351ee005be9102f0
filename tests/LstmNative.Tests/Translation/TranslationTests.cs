using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Translation;
using NUnit.Framework;

namespace LstmNative.Tests.Translation;

public class TranslationTests
{
    private static TranslationBatch SmallBatch(Random rng, int vs, int vt)
    {
        var src = new List<int[]> { new[] { 4, 5, 6 }, new[] { 7 }, new[] { 5, 4 } };
        var tgt = new List<int[]> { new[] { 4, 6 }, new[] { 5, 7, 4 }, new[] { 6 } };
        _ = rng;
        _ = vs;
        _ = vt;
        return TranslationBatch.Create(new ParallelCorpus(src, tgt), [0, 1, 2]);
    }

    [TestCase(AttentionKind.General, false, 0.0, false)]
    [TestCase(AttentionKind.Additive, false, 0.0, false)]
    [TestCase(AttentionKind.General, true, 0.7, false)]
    [TestCase(AttentionKind.Additive, true, 0.7, false)]
    [TestCase(AttentionKind.General, false, 0.0, true)]
    public void GradientsMatchFiniteDifferences(AttentionKind kind, bool coverage, double coverageLoss, bool tied)
    {
        var settings = new TranslationSettings
        {
            EmbeddingSize = tied ? 4 : 3, HiddenSize = 4, Attention = kind, Coverage = coverage, CoverageLossWeight = coverageLoss,
            TiedEmbeddings = tied, Dropout = 0, LabelSmoothing = 0.1,
        };
        var rng = new Random(11);
        var model = new Seq2SeqModel<double>(settings, 9, 8, rng) { IsTraining = false };
        var batch = SmallBatch(rng, 9, 8);
        foreach (var p in model.Parameters())
            p.Grad.Clear();
        Seq2SeqTrainingPass.Run(model, batch, new Random(1));
        var pick = new Random(5);
        int checkedCount = 0;
        foreach (var p in model.Parameters())
        {
            for (int n = 0; n < 4; n++)
            {
                int i = pick.Next(p.Value.Length);
                double old = p.Value.Data[i];
                const double eps = 1e-6;
                p.Value.Data[i] = old + eps;
                double up = Seq2SeqTrainingPass.Run(model, batch, new Random(1), backward: false).Loss;
                p.Value.Data[i] = old - eps;
                double down = Seq2SeqTrainingPass.Run(model, batch, new Random(1), backward: false).Loss;
                p.Value.Data[i] = old;
                double numeric = (up - down) / (2 * eps);
                Assert.That(p.Grad.Data[i], Is.EqualTo(numeric).Within(1e-6 + 1e-4 * Math.Abs(numeric)), $"{p.Name}[{i}]");
                checkedCount++;
            }
        }
        Assert.That(checkedCount, Is.GreaterThan(40));
    }

    [Test]
    public void RecurrentLengthsMatchPerRowRunsForwardAndBackward()
    {
        var rng = new Random(21);
        foreach (bool lstm in new[] { true, false })
        {
            RecurrentLayer<double> layer = lstm
                ? new Lstm<double>(3, 4, new Random(2), numLayers: 2, bidirectional: true)
                : new Gru<double>(3, 4, new Random(2), numLayers: 1, bidirectional: true);
            int b = 3, t = 5;
            int[] lengths = [5, 2, 1];
            var x = new Tensor<double>(b, t, 3);
            for (int i = 0; i < x.Length; i++)
                x.Data[i] = rng.NextDouble() - 0.5;
            var y = layer.Forward(x, lengths).Clone();
            var hn = layer.FinalHidden!.Clone();
            for (int r = 0; r < b; r++)
            {
                var xr = new Tensor<double>(1, lengths[r], 3);
                Array.Copy(x.Data, r * t * 3, xr.Data, 0, lengths[r] * 3);
                var yr = layer.Forward(xr);
                for (int s = 0; s < t; s++)
                    for (int j = 0; j < 8; j++)
                        Assert.That(y.Data[(r * t + s) * 8 + j], Is.EqualTo(s < lengths[r] ? yr.Data[s * 8 + j] : 0.0).Within(1e-12));
                for (int d = 0; d < hn.Dim(0); d++)
                    for (int j = 0; j < 4; j++)
                        Assert.That(hn.Data[(d * b + r) * 4 + j], Is.EqualTo(layer.FinalHidden!.Data[d * 4 + j]).Within(1e-12));
            }
            // backward with lengths: loss = Σ w·y + Σ u·h_n, checked by finite differences on the input
            var w = new double[y.Length];
            var u = new double[hn.Length];
            for (int i = 0; i < w.Length; i++)
                w[i] = rng.NextDouble() - 0.5;
            for (int i = 0; i < u.Length; i++)
                u[i] = rng.NextDouble() - 0.5;
            double Loss()
            {
                var yy = layer.Forward(x, lengths);
                double s = 0;
                for (int i = 0; i < w.Length; i++)
                    s += w[i] * yy.Data[i];
                for (int i = 0; i < u.Length; i++)
                    s += u[i] * layer.FinalHidden!.Data[i];
                return s;
            }
            Loss();
            var dx = layer.Backward(new Tensor<double>((double[])w.Clone(), y.Shape.ToArray()), new Tensor<double>((double[])u.Clone(), hn.Shape.ToArray()), null).Clone();
            for (int i = 0; i < x.Length; i++)
            {
                double old = x.Data[i];
                x.Data[i] = old + 1e-6;
                double up = Loss();
                x.Data[i] = old - 1e-6;
                double down = Loss();
                x.Data[i] = old;
                Assert.That(dx.Data[i], Is.EqualTo((up - down) / 2e-6).Within(1e-7), $"dx[{i}]");
            }
        }
    }

    [Test]
    public void FastEngineLengthsMatchTheDoubleReference()
    {
        var f = new Lstm<float>(5, 7, new Random(4), bidirectional: true);
        var d = new Lstm<double>(5, 7, new Random(4), bidirectional: true);
        var rng = new Random(8);
        int b = 4, t = 6;
        int[] lengths = [6, 3, 1, 4];
        var xf = new Tensor<float>(b, t, 5);
        var xd = new Tensor<double>(b, t, 5);
        for (int i = 0; i < xf.Length; i++)
            xd.Data[i] = xf.Data[i] = (float)(rng.NextDouble() - 0.5);
        var yf = f.Forward(xf, lengths);
        var yd = d.Forward(xd, lengths);
        for (int i = 0; i < yf.Length; i++)
            Assert.That(yf.Data[i], Is.EqualTo(yd.Data[i]).Within(1e-5));
        var gf = new Tensor<float>(yf.Shape.ToArray());
        var gd = new Tensor<double>(yd.Shape.ToArray());
        for (int i = 0; i < gf.Length; i++)
            gd.Data[i] = gf.Data[i] = (float)(rng.NextDouble() - 0.5);
        var dxf = f.Backward(gf);
        var dxd = d.Backward(gd);
        for (int i = 0; i < dxf.Length; i++)
            Assert.That(dxf.Data[i], Is.EqualTo(dxd.Data[i]).Within(1e-5));
    }

    [Test]
    public void TimeMajorLayoutAndShapeErrorsNameTheLayout()
    {
        var bf = new Lstm<double>(3, 2, new Random(1));
        var tm = new Lstm<double>(3, 2, new Random(1), batchFirst: false);
        var x = new Tensor<double>(2, 4, 3);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = i * 0.01;
        var xt = new Tensor<double>(4, 2, 3);
        for (int bb = 0; bb < 2; bb++)
            for (int s = 0; s < 4; s++)
                Array.Copy(x.Data, (bb * 4 + s) * 3, xt.Data, (s * 2 + bb) * 3, 3);
        var y = bf.Forward(x);
        var yt = tm.Forward(xt);
        Assert.That(yt.Shape.ToArray(), Is.EqualTo(new[] { 4, 2, 2 }));
        for (int bb = 0; bb < 2; bb++)
            for (int s = 0; s < 4; s++)
                for (int j = 0; j < 2; j++)
                    Assert.That(yt.Data[(s * 2 + bb) * 2 + j], Is.EqualTo(y.Data[(bb * 4 + s) * 2 + j]).Within(1e-15));
        var ex = Assert.Throws<ArgumentException>(() => tm.Forward(new Tensor<double>(4, 2, 5)));
        Assert.That(ex!.Message, Does.Contain("time-major"));
        Assert.Throws<ArgumentException>(() => bf.Forward(x, [1, 2, 3]));
        Assert.Catch<ArgumentException>(() => bf.Forward(x, [5, 2]));
    }

    [Test]
    public void BleuMatchesHandComputedCases()
    {
        Assert.That(Bleu.Corpus(["a b c d"], ["a b c d"]).Score, Is.EqualTo(100).Within(1e-9));
        // hyp "a b c d e" vs ref "a b c d f": p1 4/5, p2 3/4, p3 2/3, p4 1/2; BP 1
        var s = Bleu.Corpus(["a b c d e"], ["a b c d f"]);
        double expected = 100 * Math.Pow(0.8 * 0.75 * (2.0 / 3) * 0.5, 0.25);
        Assert.That(s.Score, Is.EqualTo(expected).Within(1e-9));
        Assert.That(s.ToString(), Is.EqualTo($"BLEU = {expected:F2}, 80.0/75.0/66.7/50.0 (BP=1.000, ratio=1.000, hyp_len=5, ref_len=5)"));
        // clipping and brevity: hyp "the the the the" vs ref "the cat is on the mat": p1 = 2/4; no 4-gram match → 0
        var c = Bleu.Corpus(["the the the the"], ["the cat is on the mat"]);
        Assert.That(c.Precisions[0], Is.EqualTo(50).Within(1e-9));
        Assert.That(c.Score, Is.Zero);
        Assert.That(c.BrevityPenalty, Is.EqualTo(Math.Exp(1 - 6.0 / 4)).Within(1e-12));
    }

    private sealed class PlantedScorer : IStepScorer
    {
        private int[] _last = [];

        public int Vocabulary => 6;

        public int SourceLength(int sentence) => 3;

        public void Begin(int capacity) => _last = new int[capacity];

        public void Step(ReadOnlySpan<int> previous, Span<float> logProbs)
        {
            for (int r = 0; r < previous.Length; r++)
            {
                double[] p = previous[r] switch
                {
                    LstmNative.Translation.Vocabulary.Bos => [0.01, 0.01, 0.01, 0.01, 0.56, 0.40],
                    4 => [0.01, 0.01, 0.01, 0.37, 0.30, 0.30], // after A: </s> at 0.37 → A </s> = 0.207
                    5 => [0.01, 0.01, 0.01, 0.95, 0.01, 0.01], // after B: </s> at 0.95 → B </s> = 0.38
                    _ => [0.01, 0.01, 0.01, 0.95, 0.01, 0.01],
                };
                for (int j = 0; j < 6; j++)
                    logProbs[r * 6 + j] = (float)Math.Log(p[j]);
                _last[r] = previous[r];
            }
        }

        public void Reorder(ReadOnlySpan<int> parents)
        {
        }

        public ReadOnlySpan<float> LastAttention(int row) => new float[] { 1, 0, 0 };
    }

    [Test]
    public void BeamFindsThePlantedSequenceGreedyMisses()
    {
        var scorer = new PlantedScorer();
        var greedy = BeamSearch.Greedy(scorer, 1, new DecodeOptions());
        Assert.That(greedy[0].Tokens, Is.EqualTo(new[] { 4 }));
        var beam = BeamSearch.Search(scorer, 1, new DecodeOptions { BeamSize = 2, NBest = 2, LengthPenalty = 0 });
        Assert.That(beam[0][0].Tokens, Is.EqualTo(new[] { 5 }));
        Assert.That(beam[0][0].LogProbability, Is.EqualTo(Math.Log(0.40) + Math.Log(0.95)).Within(1e-5));
        Assert.That(beam[0][1].Tokens, Is.EqualTo(new[] { 4 }));
    }

    private static (Seq2SeqModel<float>, Vocabulary, Vocabulary, string[]) TinyModel()
    {
        string[] src = ["ein hund läuft", "eine katze schläft", "zwei männer", "ein kind spielt im park"];
        string[] tgt = ["a dog runs", "a cat sleeps", "two men", "a child plays in the park"];
        var sv = Vocabulary.Build(src, 1);
        var tv = Vocabulary.Build(tgt, 1);
        var model = new Seq2SeqModel<float>(new TranslationSettings { EmbeddingSize = 8, HiddenSize = 8, Attention = AttentionKind.Additive, Coverage = true }, sv.Count, tv.Count, new Random(3));
        return (model, sv, tv, src);
    }

    [Test]
    public void ATranslatorRefusesVocabulariesOfAnotherSizeThanItsModel()
    {
        var (model, sv, tv, src) = TinyModel();
        var larger = Vocabulary.Build([.. src, "ein ganz neues wort"], 1);
        Assert.That(larger.Count, Is.Not.EqualTo(sv.Count));
        var e = Assert.Throws<ArgumentException>(() => new Translator(model, larger, tv));
        Assert.That(e!.Message, Does.Contain($"the source vocabulary has {larger.Count} words but the model embeds {sv.Count}"));
        var wider = Vocabulary.Build(["a dog runs", "a cat sleeps", "two men", "a child plays in the park", "three birds sing loudly today"], 1);
        Assert.That(wider.Count, Is.GreaterThan(tv.Count));
        var t = Assert.Throws<ArgumentException>(() => new Translator(model, sv, wider));
        Assert.That(t!.Message, Does.Contain($"the target vocabulary has {wider.Count} words but the model outputs {tv.Count}"));
    }

    [Test]
    public void BeamOfOneEqualsGreedy()
    {
        var (model, sv, tv, src) = TinyModel();
        var t = new Translator(model, sv, tv);
        var greedy = t.TranslateBatch(src, new DecodeOptions { BeamSize = 1, MaxLengthRatio = 1, MaxLengthOffset = 3 });
        var scorer = new ModelScorer(model, [.. src.Select(sv.Encode)]);
        var beam = BeamSearch.Search(scorer, src.Length, new DecodeOptions { BeamSize = 1, MaxLengthRatio = 1, MaxLengthOffset = 3 });
        for (int i = 0; i < src.Length; i++)
            Assert.That(tv.Decode(beam[i][0].Tokens), Is.EqualTo(greedy[i].Text));
    }

    [Test]
    public void CheckpointRoundTripsAndRefusesOtherFiles()
    {
        var (model, sv, tv, src) = TinyModel();
        string dir = Path.Combine(Path.GetTempPath(), "lstmnative-tr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "m.safetensors");
            TranslationCheckpoint.Save(path, model, sv, tv);
            var loaded = Translator.Load(path);
            var before = new Translator(model, sv, tv).TranslateBatch(src, new DecodeOptions { BeamSize = 3 });
            var after = loaded.TranslateBatch(src, new DecodeOptions { BeamSize = 3 });
            Assert.That(after.Select(a => a.Text), Is.EqualTo(before.Select(b => b.Text)));
            Assert.That(loaded.Model.Settings, Is.EqualTo(model.Settings));
            Assert.That(loaded.Target.Words, Is.EqualTo(tv.Words));
            string other = Path.Combine(dir, "other.safetensors");
            LstmNative.Formats.SafetensorsWriter.Write(other, [new("x", LstmNative.Model.NdArray.FromFloats([1f], 1))]);
            Assert.Throws<InvalidDataException>(() => TranslationCheckpoint.Load(other));
            File.WriteAllText(Path.Combine(dir, "junk"), "not a model");
            Assert.Throws<InvalidDataException>(() => TranslationCheckpoint.Load(Path.Combine(dir, "junk")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private sealed class Collect : IProgress<TranslationProgress>
    {
        public List<TranslationProgress> Reports { get; } = [];

        public void Report(TranslationProgress value) => Reports.Add(value);
    }

    [Test]
    public void TrainerReportsEveryBatchWithItsChecksAndRefusesAnEmptyCorpus()
    {
        var (_, sv, tv, src) = TinyModel();
        string[] tgt = ["a dog runs", "a cat sleeps", "two men", "a child plays in the park"];
        var corpus = ParallelCorpus.Encode(src, tgt, sv, tv);
        var model = new Seq2SeqModel<float>(new TranslationSettings { EmbeddingSize = 4, HiddenSize = 4, BatchSize = 3, Epochs = 3, ValidationsPerEpoch = 1 }, sv.Count, tv.Count, new Random(2));
        string path = Path.Combine(Path.GetTempPath(), $"lstmnative-progress-{Guid.NewGuid():N}.safetensors");
        try
        {
            var progress = new Collect();
            var summary = TranslationTrainer.Train(model, corpus, corpus, sv, tv, path, progress);
            var r = progress.Reports;
            Assert.That(r.Select(p => p.Batch), Is.EqualTo(Enumerable.Range(1, 6)), "2 batches × 3 epochs, each reported once");
            Assert.That(r.Select(p => p.Batches), Is.All.EqualTo(6));
            Assert.That(r.Select(p => p.Epoch), Is.EqualTo(new[] { 1, 1, 2, 2, 3, 3 }));
            Assert.That(r.Where(p => p.Check is not null).Select(p => p.Check), Is.EqualTo(summary.Checks), "the checks ride on their batch's report");
            Assert.That(r.Select(p => p.Elapsed), Is.Ordered);
            Assert.That(r.All(p => p.Loss > 0 && p.TokensPerSecond > 0 && p.Remaining >= TimeSpan.Zero));
            Assert.That(r[^1].Remaining, Is.EqualTo(TimeSpan.Zero));
            Assert.That(r[0].ToString(), Does.Match(@"^epoch 1 loss \d+\.\d{3} \d+ tok/s$"));
            Assert.That(r[0].CheckText, Is.Null);
            Assert.That(r[1].CheckText, Does.StartWith("check: epoch 1.00 train ").And.EndWith("(best, saved)"));
            var empty = new ParallelCorpus([], []);
            Assert.Throws<ArgumentException>(() => TranslationTrainer.Train(model, empty, corpus, sv, tv, path));
            Assert.Throws<ArgumentException>(() => TranslationTrainer.Train(model, corpus, empty, sv, tv, path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void UnknownWordsMapToUnk()
    {
        var v = Vocabulary.Build(["a b b c"], 2);
        Assert.That(v.Encode("b zzz a"), Is.EqualTo(new[] { 4, Vocabulary.Unk, Vocabulary.Unk }));
        Assert.That(v.Decode([4, Vocabulary.Eos, 4]), Is.EqualTo("b"));
    }

    [Test]
    public void TranslatorRefusesABeamWiderThanTheTargetVocabularyAndAnOverlongSentenceBeforeDecoding()
    {
        var (model, sv, tv, src) = TinyModel();
        var t = new Translator(model, sv, tv);
        Assert.DoesNotThrow(() => t.Validate(new DecodeOptions { BeamSize = tv.Count }));
        var wide = Assert.Throws<ArgumentException>(() => t.TranslateBatch(src, new DecodeOptions { BeamSize = tv.Count + 1 }))!;
        Assert.That(wide.Message, Does.Contain($"larger than the target vocabulary ({tv.Count} words)"));
        string longest = string.Join(' ', Enumerable.Repeat("hund", Translator.MaxSourceTokens));
        Assert.That(t.TranslateBatch([longest], new DecodeOptions { MaxLengthRatio = 0.001, MaxLengthOffset = 1 })[0].SourceWords, Has.Count.EqualTo(Translator.MaxSourceTokens));
        var tooLong = Assert.Throws<ArgumentException>(() => t.TranslateBatch([src[0], longest + " hund"]))!;
        Assert.That(tooLong.Message, Does.Contain($"sentence 2 has {Translator.MaxSourceTokens + 1} tokens"));
    }

    [Test]
    public void PlotsAreWrittenAtomicallyAndAFolderInTheirPlaceIsSaidToBeOne()
    {
        string dir = Path.Combine(Path.GetTempPath(), "lstmnative-tr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "loss.png"));
        try
        {
            TrainingCheck[] checks = [new(1, 2.0, 2.5, 1e-3, 0.1, 100), new(2, 1.5, 2.0, 1e-3, 0.2, 100)];
            var e = Assert.Throws<IOException>(() => TranslationPlots.SaveLossPlot(checks, Path.Combine(dir, "loss.png")))!;
            Assert.That(e.Message, Does.Contain("directory"), "a folder in the way is not a permission problem");
            string path = Path.Combine(dir, "attention.png");
            TranslationPlots.SaveAttentionMap(["a", "b"], ["x", "</s>"], new float[2, 2], path, "t");
            Assert.That(File.ReadAllBytes(path)[1..4], Is.EqualTo("PNG"u8.ToArray()));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary file left beside it");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
