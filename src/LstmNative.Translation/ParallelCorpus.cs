namespace LstmNative.Translation;

/// <summary>Sentence pairs as vocabulary indices.</summary>
/// <param name="Source">Source sentences (no special tokens).</param>
/// <param name="Target">Target sentences (no special tokens).</param>
public sealed record ParallelCorpus(IReadOnlyList<int[]> Source, IReadOnlyList<int[]> Target)
{
    /// <summary>Number of pairs.</summary>
    public int Count => Source.Count;

    /// <summary>
    /// Reads two line-aligned files: line counts must match, and a file must hold at least one line. An empty (or blank)
    /// line is an error naming it unless <paramref name="allowEmptyLines"/> (scoring a test set: an empty source
    /// translates to an empty line); training pairs with an empty side would only teach the model noise.
    /// </summary>
    public static (string[] Source, string[] Target) ReadLines(string sourcePath, string targetPath, bool allowEmptyLines = false)
    {
        var src = Read(sourcePath, allowEmptyLines);
        var tgt = Read(targetPath, allowEmptyLines);
        if (src.Length != tgt.Length)
            throw new InvalidDataException($"{sourcePath} has {src.Length} lines but {targetPath} has {tgt.Length}");
        return (src, tgt);
    }

    /// <summary>Reads a file of sentences, one a line; an empty line is an error naming the line.</summary>
    public static string[] ReadNonEmpty(string path) => Read(path, allowEmptyLines: false);

    private static string[] Read(string path, bool allowEmptyLines)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"no such file: {path}", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
            throw new InvalidDataException($"{path} has no sentences");
        if (!allowEmptyLines)
            for (int i = 0; i < lines.Length; i++)
                if (string.IsNullOrWhiteSpace(lines[i]))
                    throw new InvalidDataException($"{path}:{i + 1}: empty line");
        return lines;
    }

    /// <summary>Encodes aligned sentences with the two vocabularies.</summary>
    public static ParallelCorpus Encode(IReadOnlyList<string> source, IReadOnlyList<string> target, Vocabulary sourceVocab, Vocabulary targetVocab)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sourceVocab);
        ArgumentNullException.ThrowIfNull(targetVocab);
        return new ParallelCorpus([.. source.Select(sourceVocab.Encode)], [.. target.Select(targetVocab.Encode)]);
    }
}

/// <summary>
/// One padded batch, time-major for the decoder: source <c>[B, S]</c> with lengths, target input (<c>&lt;s&gt;</c> first)
/// and output (<c>&lt;/s&gt;</c> last) <c>[B, T]</c>, padded with <see cref="Vocabulary.Pad"/>.
/// </summary>
public sealed record TranslationBatch(int Batch, int SourceSteps, int TargetSteps, int[] Source, int[] SourceLengths, int[] TargetIn, int[] TargetOut, int[] Indices)
{
    /// <summary>Number of target tokens that count in the loss.</summary>
    public int TargetTokens => TargetOut.Count(t => t != Vocabulary.Pad);

    /// <summary>Pads the pairs at <paramref name="indices"/> into a batch.</summary>
    public static TranslationBatch Create(ParallelCorpus corpus, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(indices);
        int b = indices.Count;
        int s = Math.Max(1, indices.Max(i => corpus.Source[i].Length));
        int t = indices.Max(i => corpus.Target[i].Length) + 1;
        var src = new int[b * s];
        var lens = new int[b];
        var tin = new int[b * t];
        var tout = new int[b * t];
        for (int r = 0; r < b; r++)
        {
            var x = corpus.Source[indices[r]];
            x.CopyTo(src, r * s);
            lens[r] = Math.Max(1, x.Length);
            var y = corpus.Target[indices[r]];
            tin[r * t] = Vocabulary.Bos;
            y.CopyTo(tin, r * t + 1);
            y.CopyTo(tout, r * t);
            tout[r * t + y.Length] = Vocabulary.Eos;
        }
        return new TranslationBatch(b, s, t, src, lens, tin, tout, [.. indices]);
    }

    /// <summary>
    /// Batches bucketed by length: pairs sorted by (source, target) length within shuffled pools, cut into batches of
    /// at most <paramref name="batchSize"/>, the batches shuffled. Seeded by <paramref name="random"/> (null: no shuffle).
    /// </summary>
    public static List<TranslationBatch> Bucketed(ParallelCorpus corpus, int batchSize, Random? random)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var order = Enumerable.Range(0, corpus.Count).ToArray();
        random?.Shuffle(order);
        int pool = batchSize * 50;
        var batches = new List<TranslationBatch>();
        for (int p = 0; p < order.Length; p += pool)
        {
            var chunk = order.Skip(p).Take(pool).OrderBy(i => corpus.Source[i].Length).ThenBy(i => corpus.Target[i].Length).ToArray();
            for (int k = 0; k < chunk.Length; k += batchSize)
                batches.Add(Create(corpus, chunk.Skip(k).Take(batchSize).ToArray()));
        }
        if (random is not null)
        {
            var arr = batches.ToArray();
            random.Shuffle(arr);
            return [.. arr];
        }
        return batches;
    }
}
