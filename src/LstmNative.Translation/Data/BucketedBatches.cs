namespace LstmNative.Translation.Data;

/// <summary>
/// Groups sentence pairs of similar length into batches so that little padding is carried: pairs are shuffled (seeded),
/// cut into pools of <c>poolBatches</c> batches, each pool sorted by source then target length and cut into batches of at
/// most <c>maxTokens</c> padded tokens per side (and at most <c>maxBatchSize</c> rows); the batch order is then
/// shuffled again. The same seed and epoch give the same batches.
/// </summary>
public sealed class BucketedBatches
{
    private readonly int[][] _source;
    private readonly int[][] _target;
    private readonly int _maxBatchSize;
    private readonly int _maxTokens;
    private readonly int _poolBatches;
    private readonly int _seed;

    /// <summary>Encodes the corpus once with the two vocabularies (unknown words map to <c>&lt;unk&gt;</c>).</summary>
    public BucketedBatches(ParallelCorpus corpus, Vocabulary sourceVocabulary, Vocabulary targetVocabulary,
        int maxBatchSize, int maxTokens = 0, int poolBatches = 50, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(sourceVocabulary);
        ArgumentNullException.ThrowIfNull(targetVocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(poolBatches, 1);
        _source = [.. corpus.Source.Select(s => sourceVocabulary.Encode(s))];
        _target = [.. corpus.Target.Select(s => targetVocabulary.Encode(s))];
        _maxBatchSize = maxBatchSize;
        _maxTokens = maxTokens;
        _poolBatches = poolBatches;
        _seed = seed;
    }

    /// <summary>Number of sentence pairs.</summary>
    public int Count => _source.Length;

    /// <summary>The batches of one epoch: every pair exactly once.</summary>
    public IReadOnlyList<TranslationBatch> Epoch(int epoch)
    {
        var random = new Random(HashCode.Combine(_seed, epoch));
        int[] order = [.. Enumerable.Range(0, _source.Length)];
        random.Shuffle(order);
        var batches = new List<TranslationBatch>();
        int pool = _maxBatchSize * _poolBatches;
        for (int start = 0; start < order.Length; start += pool)
        {
            int[] chunk = [.. order.Skip(start).Take(pool)
                .OrderBy(i => _source[i].Length).ThenBy(i => _target[i].Length).ThenBy(i => i)];
            batches.AddRange(Cut(chunk));
        }
        var shuffled = batches.ToArray();
        random.Shuffle(shuffled);
        return shuffled;
    }

    /// <summary>All pairs in corpus order, in batches of at most <paramref name="batchSize"/> (for evaluation).</summary>
    public IReadOnlyList<TranslationBatch> InOrder(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batches = new List<TranslationBatch>();
        for (int start = 0; start < _source.Length; start += batchSize)
            batches.Add(Make([.. Enumerable.Range(start, Math.Min(batchSize, _source.Length - start))]));
        return batches;
    }

    private IEnumerable<TranslationBatch> Cut(int[] sorted)
    {
        int start = 0;
        while (start < sorted.Length)
        {
            int end = start, maxSource = 0, maxTarget = 0;
            while (end < sorted.Length && end - start < _maxBatchSize)
            {
                int s = Math.Max(maxSource, _source[sorted[end]].Length);
                int t = Math.Max(maxTarget, _target[sorted[end]].Length);
                // A row that would push the padded batch over the token budget starts the next batch (never an empty one).
                if (_maxTokens > 0 && end > start && (end - start + 1) * Math.Max(s, t) > _maxTokens)
                    break;
                maxSource = s;
                maxTarget = t;
                end++;
            }
            yield return Make(sorted[start..end]);
            start = end;
        }
    }

    private TranslationBatch Make(int[] indices)
    {
        int sourceLength = indices.Max(i => _source[i].Length);
        int targetLength = indices.Max(i => _target[i].Length);
        var batch = new TranslationBatch(indices, sourceLength, targetLength);
        for (int b = 0; b < indices.Length; b++)
        {
            int[] source = _source[indices[b]];
            int[] target = _target[indices[b]];
            source.CopyTo(batch.Source.AsSpan(b * sourceLength));
            batch.SourceLengths[b] = source.Length;
            // Decoder input: <s> then every target id but the final </s>; output: the target ids including </s>.
            batch.TargetInput[b * targetLength] = Vocabulary.Bos;
            target.AsSpan(0, target.Length - 1).CopyTo(batch.TargetInput.AsSpan(b * targetLength + 1));
            target.CopyTo(batch.TargetOutput.AsSpan(b * targetLength));
            batch.TargetLengths[b] = target.Length;
        }
        return batch;
    }
}
