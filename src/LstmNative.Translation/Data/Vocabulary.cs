namespace LstmNative.Translation.Data;

/// <summary>
/// A word vocabulary built from one side of the training split: the four specials first (<c>&lt;pad&gt;</c> = 0,
/// <c>&lt;unk&gt;</c> = 1, <c>&lt;s&gt;</c> = 2, <c>&lt;/s&gt;</c> = 3), then every word seen at least <c>minCount</c> times,
/// most frequent first and ties in ordinal order, so the same corpus always gives the same ids.
/// Immutable after construction, so one instance can be shared by any number of threads.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Id of the padding token.</summary>
    public const int Pad = 0;

    /// <summary>Id of the unknown-word token.</summary>
    public const int Unk = 1;

    /// <summary>Id of the start-of-sentence token.</summary>
    public const int Bos = 2;

    /// <summary>Id of the end-of-sentence token.</summary>
    public const int Eos = 3;

    /// <summary>The special tokens, in id order.</summary>
    public static IReadOnlyList<string> Specials { get; } = ["<pad>", "<unk>", "<s>", "</s>"];

    private readonly string[] _words;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Creates a vocabulary from its words in id order; the first four must be <see cref="Specials"/>.</summary>
    /// <exception cref="ArgumentException">The specials are missing or misplaced, or a word repeats.</exception>
    public Vocabulary(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        _words = [.. words];
        if (_words.Length < Specials.Count || !_words.Take(Specials.Count).SequenceEqual(Specials))
            throw new ArgumentException("a vocabulary must start with <pad> <unk> <s> </s>", nameof(words));
        _ids = new Dictionary<string, int>(_words.Length, StringComparer.Ordinal);
        for (int i = 0; i < _words.Length; i++)
        {
            if (string.IsNullOrEmpty(_words[i]) || _words[i].Any(char.IsWhiteSpace))
                throw new ArgumentException($"vocabulary entry {i} is empty or contains white space", nameof(words));
            if (!_ids.TryAdd(_words[i], i))
                throw new ArgumentException($"vocabulary word '{_words[i]}' appears twice (ids {_ids[_words[i]]} and {i})", nameof(words));
        }
    }

    /// <summary>Number of entries, specials included.</summary>
    public int Count => _words.Length;

    /// <summary>The words in id order (specials first).</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>
    /// Builds the vocabulary of tokenized sentences: words seen at least <paramref name="minCount"/> times,
    /// at most <paramref name="maxSize"/> entries in all (specials included; 0 = no limit).
    /// </summary>
    public static Vocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int minCount = 1, int maxSize = 0)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
        {
            foreach (string word in sentence)
                counts[word] = counts.GetValueOrDefault(word) + 1;
        }
        var kept = counts.Where(kv => kv.Value >= minCount && !Specials.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key);
        if (maxSize > 0)
            kept = kept.Take(Math.Max(0, maxSize - Specials.Count));
        return new Vocabulary(Specials.Concat(kept));
    }

    /// <summary>The id of <paramref name="word"/>, or <see cref="Unk"/> for a word not in the vocabulary.</summary>
    public int IdOf(string word) => _ids.TryGetValue(word, out int id) ? id : Unk;

    /// <summary>The word of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string WordOf(int id)
    {
        if ((uint)id >= (uint)_words.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"id outside the vocabulary of {_words.Length} words");
        return _words[id];
    }

    /// <summary>
    /// Encodes a tokenized sentence into <paramref name="destination"/> (unknown words become <see cref="Unk"/>),
    /// followed by <see cref="Eos"/> when <paramref name="appendEos"/>; returns the number of ids written.
    /// </summary>
    public int Encode(IReadOnlyList<string> tokens, Span<int> destination, bool appendEos = true)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int needed = tokens.Count + (appendEos ? 1 : 0);
        if (destination.Length < needed)
            throw new ArgumentException($"destination holds {destination.Length} ids, the sentence needs {needed}", nameof(destination));
        for (int i = 0; i < tokens.Count; i++)
            destination[i] = IdOf(tokens[i]);
        if (appendEos)
            destination[tokens.Count] = Eos;
        return needed;
    }

    /// <summary>Encodes a tokenized sentence into a new array (see <see cref="Encode(IReadOnlyList{string}, Span{int}, bool)"/>).</summary>
    public int[] Encode(IReadOnlyList<string> tokens, bool appendEos = true)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new int[tokens.Count + (appendEos ? 1 : 0)];
        Encode(tokens, ids, appendEos);
        return ids;
    }

    /// <summary>
    /// Decodes ids into words, stopping at the first <see cref="Eos"/> and skipping <see cref="Pad"/> and <see cref="Bos"/>.
    /// </summary>
    public IReadOnlyList<string> Decode(ReadOnlySpan<int> ids)
    {
        var words = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (id == Eos)
                break;
            if (id is Pad or Bos)
                continue;
            words.Add(WordOf(id));
        }
        return words;
    }
}
