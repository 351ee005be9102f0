using LstmNative.Training.Data;
using LstmNative.Translation.Data;
using NUnit.Framework;

namespace LstmNative.Tests.Translation;

/// <summary>Vocabularies, the parallel corpus reader and the bucketed batches with lengths.</summary>
public sealed class TranslationDataTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lstmnative-translation-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Vocabulary_keeps_words_above_the_minimum_count_most_frequent_first_and_maps_unknowns()
    {
        var vocab = Vocabulary.Build([["b", "a", "b"], ["c", "a", "b"]], minCount: 2);
        Assert.That(vocab.Words, Is.EqualTo(new[] { "<pad>", "<unk>", "<s>", "</s>", "b", "a" }));
        Assert.That(vocab.Encode(["a", "c", "zebra"]), Is.EqualTo(new[] { 5, Vocabulary.Unk, Vocabulary.Unk, Vocabulary.Eos }));
        Assert.That(vocab.Decode([Vocabulary.Bos, 4, 5, Vocabulary.Eos, 4]), Is.EqualTo(new[] { "b", "a" }));
        Assert.That(Vocabulary.Build([["b", "a", "b"]], maxSize: 5).Count, Is.EqualTo(5));
        Assert.Throws<ArgumentException>(() => _ = new Vocabulary(["x", "<unk>", "<s>", "</s>"]));
        Assert.Throws<ArgumentException>(() => _ = new Vocabulary([.. Vocabulary.Specials, "x", "x"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocab.WordOf(6));
    }

    [Test]
    public void Corpus_errors_name_the_file_and_line()
    {
        string de = Write("a.de", "ein hund\nzwei katzen\n");
        string en = Write("a.en", "a dog\n");
        var mismatch = Assert.Throws<DataFormatException>(() => ParallelCorpus.Load(de, en))!;
        Assert.That(mismatch.Message, Is.EqualTo("a.de has 2 lines but a.en has 1: the files must be line-aligned"));
        string empty = Write("b.en", "a dog\n  \n");
        var blank = Assert.Throws<DataFormatException>(() => ParallelCorpus.Load(de, empty))!;
        Assert.That(blank.Message, Is.EqualTo("b.en, line 2: empty sentence"));
        Assert.Throws<FileNotFoundException>(() => ParallelCorpus.Load(de, Path.Combine(_dir, "missing.en")));
    }

    [Test]
    public void Batches_cover_every_pair_once_with_lengths_padding_and_teacher_forcing_shift([Values(0, 7)] int seed)
    {
        var random = new Random(seed);
        var source = new List<string>();
        var target = new List<string>();
        for (int i = 0; i < 53; i++)
        {
            source.Add(string.Join(' ', Enumerable.Range(0, 1 + random.Next(9)).Select(_ => "w" + random.Next(6))));
            target.Add(string.Join(' ', Enumerable.Range(0, 1 + random.Next(9)).Select(_ => "v" + random.Next(6))));
        }
        var corpus = ParallelCorpus.Load(Write("c.de", string.Join('\n', source)), Write("c.en", string.Join('\n', target)));
        var sv = Vocabulary.Build(corpus.Source);
        var tv = Vocabulary.Build(corpus.Target);
        var batches = new BucketedBatches(corpus, sv, tv, maxBatchSize: 8, maxTokens: 40, poolBatches: 2, seed: seed);
        var epoch = batches.Epoch(3);
        Assert.That(epoch.SelectMany(b => b.Indices).Order(), Is.EqualTo(Enumerable.Range(0, 53)));
        Assert.That(batches.Epoch(3).Select(b => b.Indices), Is.EqualTo(epoch.Select(b => b.Indices)), "same seed and epoch, same batches");
        foreach (var batch in epoch)
        {
            Assert.That(batch.BatchSize, Is.InRange(1, 8));
            Assert.That(batch.BatchSize == 1 || batch.BatchSize * Math.Max(batch.SourceLength, batch.TargetLength) <= 40);
            for (int b = 0; b < batch.BatchSize; b++)
            {
                string[] src = corpus.Source[batch.Indices[b]];
                string[] tgt = corpus.Target[batch.Indices[b]];
                Assert.That(batch.SourceLengths[b], Is.EqualTo(src.Length + 1));
                Assert.That(batch.TargetLengths[b], Is.EqualTo(tgt.Length + 1));
                var srcRow = batch.Source.AsSpan(b * batch.SourceLength, batch.SourceLength);
                Assert.That(sv.Decode(srcRow), Is.EqualTo(src));
                Assert.That(srcRow[src.Length], Is.EqualTo(Vocabulary.Eos));
                Assert.That(srcRow[(src.Length + 1)..].ToArray(), Is.All.EqualTo(Vocabulary.Pad));
                var input = batch.TargetInput.AsSpan(b * batch.TargetLength, batch.TargetLength);
                var output = batch.TargetOutput.AsSpan(b * batch.TargetLength, batch.TargetLength);
                Assert.That(input[0], Is.EqualTo(Vocabulary.Bos));
                Assert.That(input[1..(tgt.Length + 1)].ToArray(), Is.EqualTo(output[..tgt.Length].ToArray()), "input is output shifted right by one");
                Assert.That(output[tgt.Length], Is.EqualTo(Vocabulary.Eos));
                Assert.That(output[(tgt.Length + 1)..].ToArray(), Is.All.EqualTo(Vocabulary.Pad));
            }
        }
        Assert.That(batches.InOrder(10).SelectMany(b => b.Indices), Is.EqualTo(Enumerable.Range(0, 53)));
    }

    [Test]
    public void Multi30k_splits_load_with_the_published_sizes()
    {
        string dir = Path.Combine(TestPaths.RequireShared(), "data", "multi30k");
        if (!File.Exists(Path.Combine(dir, "train.lc.norm.tok.de")))
            Assert.Ignore("multi30k not found under " + dir);
        var expected = new (string Split, int Sentences, int DeWords, int EnWords)[]
        {
            ("train", 29000, 360706, 377534), ("val", 1014, 12828, 13308), ("test_2016_flickr", 1000, 12103, 12968),
            ("test_2017_flickr", 1000, 10758, 11376), ("test_2017_mscoco", 461, 5158, 5239),
        };
        foreach (var (split, sentences, deWords, enWords) in expected)
        {
            var corpus = ParallelCorpus.LoadSplit(dir, split);
            Assert.That(corpus.Count, Is.EqualTo(sentences), split);
            Assert.That(corpus.Source.Sum(s => s.Length), Is.EqualTo(deWords), split);
            Assert.That(corpus.Target.Sum(s => s.Length), Is.EqualTo(enWords), split);
        }
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
