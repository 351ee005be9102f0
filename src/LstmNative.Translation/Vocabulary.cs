using System.Globalization;

namespace LstmNative.Translation;

/// <summary>
/// A word vocabulary learned from a training split: <c>&lt;pad&gt; &lt;unk&gt; &lt;s&gt; &lt;/s&gt;</c> first, then words
/// with at least a minimum count, most frequent first (ties in ordinal order, so it is deterministic).
/// Immutable and thread-safe.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Index of the padding token.</summary>
    public const int Pad = 0;

    /// <summary>Index of the unknown-word token.</summary>
    public const int Unk = 1;

    /// <summary>Index of the start-of-sentence token.</summary>
    public const int Bos = 2;

    /// <summary>Index of the end-of-sentence token.</summary>
    public const int Eos = 3;

    private static readonly string[] Specials = ["<pad>", "<unk>", "<s>", "</s>"];
    private readonly string[] _words;
    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a vocabulary from its words in index order (the four special tokens first).</summary>
    public Vocabulary(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count < Specials.Length || !words.Take(Specials.Length).SequenceEqual(Specials))
            throw new ArgumentException("a vocabulary must start with <pad> <unk> <s> </s>");
        _words = [.. words];
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _words.Length; i++)
            if (!_index.TryAdd(_words[i], i))
                throw new ArgumentException($"the vocabulary lists '{_words[i]}' twice");
    }

    /// <summary>Number of entries, special tokens included.</summary>
    public int Count => _words.Length;

    /// <summary>The words in index order.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>Builds the vocabulary of <paramref name="sentences"/> (whitespace-tokenized) with a minimum count.</summary>
    public static Vocabulary Build(IEnumerable<string> sentences, int minCount)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in sentences)
            foreach (var w in Tokenize(line))
                counts[w] = counts.GetValueOrDefault(w) + 1;
        var words = counts.Where(kv => kv.Value >= minCount && !Specials.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        return new Vocabulary([.. Specials, .. words]);
    }

    /// <summary>Splits a line on whitespace (the corpus is already tokenized).</summary>
    public static string[] Tokenize(string line) =>
        (line ?? throw new ArgumentNullException(nameof(line))).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The index of <paramref name="word"/>, or <see cref="Unk"/>.</summary>
    public int IndexOf(string word) => _index.TryGetValue(word, out int i) ? i : Unk;

    /// <summary>The word at <paramref name="index"/>.</summary>
    public string this[int index] => (uint)index < (uint)_words.Length
        ? _words[index] : throw new ArgumentOutOfRangeException(nameof(index), index.ToString(CultureInfo.InvariantCulture));

    /// <summary>Maps a tokenized sentence to indices (unknown words to <see cref="Unk"/>).</summary>
    public int[] Encode(string line) => [.. Tokenize(line).Select(IndexOf)];

    /// <summary>Joins indices back to a sentence, stopping at <c>&lt;/s&gt;</c> and skipping padding and <c>&lt;s&gt;</c>.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var words = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (id == Eos)
                break;
            if (id != Pad && id != Bos)
                words.Add(this[id]);
        }
        return string.Join(' ', words);
    }

    /// <summary>The words one a line (for checkpoints).</summary>
    public string Serialize() => string.Join('\n', _words);

    /// <summary>Reads <see cref="Serialize"/>'s output.</summary>
    public static Vocabulary Deserialize(string text) => new((text ?? throw new ArgumentNullException(nameof(text))).Split('\n'));
}
