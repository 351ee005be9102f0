namespace LstmNative.Translation;

/// <summary>A translated sentence.</summary>
/// <param name="Text">The best hypothesis as words.</param>
/// <param name="NBest">The n-best hypotheses as words, best first, with their scores.</param>
/// <param name="SourceWords">The source words as the model saw them (unknown words as <c>&lt;unk&gt;</c>).</param>
/// <param name="Attention">The best hypothesis's attention <c>[output steps (with &lt;/s&gt;), source words]</c>.</param>
public sealed record Translation(string Text, IReadOnlyList<(string Text, double Score)> NBest, IReadOnlyList<string> SourceWords, float[][] Attention);

/// <summary>
/// Loads a trained model once and translates sentences or batches (greedy or beam search). An instance reuses its
/// model's buffers, so it is not thread-safe: give each thread its own <see cref="Translator"/> (loading is cheap
/// next to decoding) or serialise calls.
/// </summary>
public sealed class Translator
{
    /// <summary>Wraps a model and its vocabularies.</summary>
    public Translator(Seq2SeqModel<float> model, Vocabulary source, Vocabulary target)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Source = source ?? throw new ArgumentNullException(nameof(source));
        Target = target ?? throw new ArgumentNullException(nameof(target));
        // The vocabularies map words to the model's embedding rows and output classes: of another size, words map to the
        // wrong rows or past them (found by the API audit: a larger target vocabulary decoded silently).
        if (source.Count != model.SourceVocabulary)
            throw new ArgumentException($"the source vocabulary has {source.Count} words but the model embeds {model.SourceVocabulary}", nameof(source));
        if (target.Count != model.TargetVocabulary)
            throw new ArgumentException($"the target vocabulary has {target.Count} words but the model outputs {model.TargetVocabulary}", nameof(target));
        model.IsTraining = false;
    }

    /// <summary>The model.</summary>
    public Seq2SeqModel<float> Model { get; }

    /// <summary>The source vocabulary.</summary>
    public Vocabulary Source { get; }

    /// <summary>The target vocabulary.</summary>
    public Vocabulary Target { get; }

    /// <summary>
    /// The most tokens a source sentence may have. Decoding runs up to twice the source length plus ten steps (by default), each
    /// attending over the whole source, so the work grows with the square of the length: a runaway line (a file that is
    /// not one sentence a line) would run for minutes. Real sentences are far shorter: Multi30k's longest German one has 44.
    /// </summary>
    public const int MaxSourceTokens = 1000;

    /// <summary>
    /// Checks <paramref name="options"/> for this model: valid in themselves, and a beam no wider than the target
    /// vocabulary (a first step has no more distinct words to keep; a wider beam only costs time and memory).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid or the beam is too wide.</exception>
    public void Validate(DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.BeamSize > Target.Count)
            throw new ArgumentException($"beam size {options.BeamSize} is larger than the target vocabulary ({Target.Count} words): use at most {Target.Count}");
    }

    /// <summary>Loads a checkpoint written by training.</summary>
    public static Translator Load(string path)
    {
        var (model, source, target) = TranslationCheckpoint.Load(path);
        return new Translator(model, source, target);
    }

    /// <summary>Translates one tokenized sentence.</summary>
    public Translation Translate(string sentence, DecodeOptions? options = null) => TranslateBatch([sentence], options)[0];

    /// <summary>Translates tokenized sentences, <paramref name="batchSize"/> at a time (an empty line gives an empty output).</summary>
    /// <exception cref="ArgumentException">
    /// The options are invalid (see <see cref="Validate"/>) or a sentence has more than <see cref="MaxSourceTokens"/> tokens;
    /// checked before any decoding.
    /// </exception>
    public Translation[] TranslateBatch(IReadOnlyList<string> sentences, DecodeOptions? options = null, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        options ??= new DecodeOptions();
        Validate(options);
        var results = new Translation[sentences.Count];
        // An empty (or blank) sentence translates to an empty one without decoding: with nothing to attend to, the
        // model would still emit its most likely opening words.
        var todo = new List<int>(sentences.Count);
        for (int i = 0; i < sentences.Count; i++)
        {
            int tokens = Vocabulary.Tokenize(sentences[i]).Length;
            if (tokens > MaxSourceTokens)
                throw new ArgumentException($"sentence {i + 1} has {tokens} tokens, over the limit of {MaxSourceTokens} per sentence");
            if (tokens == 0)
                results[i] = new Translation("", [("", 0.0)], [], []);
            else
                todo.Add(i);
        }
        for (int start = 0; start < todo.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, todo.Count - start);
            var ids = Enumerable.Range(start, n).Select(i => Source.Encode(sentences[todo[i]])).ToArray();
            var scorer = new ModelScorer(Model, ids);
            var best = options.BeamSize == 1 && options.NBest == 1
                ? BeamSearch.Greedy(scorer, n, options).Select(h => new[] { h }).ToArray()
                : BeamSearch.Search(scorer, n, options);
            for (int i = 0; i < n; i++)
            {
                var words = ids[i].Select(id => Source[id]).ToArray();
                var hyps = best[i];
                var top = hyps.Length > 0 ? hyps[0] : new Hypothesis([], 0, 0, []);
                results[todo[start + i]] = new Translation(Target.Decode(top.Tokens),
                    [.. hyps.Select(h => (Target.Decode(h.Tokens), h.Score))], words,
                    [.. top.Attention.Select(a => a[..words.Length])]);
            }
        }
        return results;
    }
}
