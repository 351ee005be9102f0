using LstmNative.Training.Data;

namespace LstmNative.Translation.Data;

/// <summary>
/// Sentence pairs read from two tokenized, line-aligned files (line <c>i</c> of the source translates line <c>i</c> of
/// the target), as Multi30k ships them: tokens are separated by white space and used as given (no lowercasing or
/// re-tokenization here, so BLEU is computed on exactly the published tokens).
/// </summary>
public sealed class ParallelCorpus
{
    private ParallelCorpus(string name, IReadOnlyList<string[]> source, IReadOnlyList<string[]> target)
    {
        Name = name;
        Source = source;
        Target = target;
    }

    /// <summary>A label for messages, e.g. <c>train</c>.</summary>
    public string Name { get; }

    /// <summary>Tokenized source sentences.</summary>
    public IReadOnlyList<string[]> Source { get; }

    /// <summary>Tokenized target sentences, aligned with <see cref="Source"/>.</summary>
    public IReadOnlyList<string[]> Target { get; }

    /// <summary>Number of sentence pairs.</summary>
    public int Count => Source.Count;

    /// <summary>
    /// Reads the split <paramref name="split"/> of a Multi30k-style folder: <c>{split}.lc.norm.tok.{src}</c> and
    /// <c>{split}.lc.norm.tok.{tgt}</c>.
    /// </summary>
    public static ParallelCorpus LoadSplit(string directory, string split, string sourceLanguage = "de", string targetLanguage = "en")
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(split);
        string Path_(string language) => Path.Combine(directory, $"{split}.lc.norm.tok.{language}");
        return Load(Path_(sourceLanguage), Path_(targetLanguage), split);
    }

    /// <summary>Reads two line-aligned files.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="DataFormatException">The line counts differ, or a line is empty (named by file and line).</exception>
    public static ParallelCorpus Load(string sourcePath, string targetPath, string? name = null)
    {
        var source = ReadSentences(sourcePath);
        var target = ReadSentences(targetPath);
        if (source.Count != target.Count)
        {
            throw new DataFormatException(
                $"{Path.GetFileName(sourcePath)} has {source.Count} lines but {Path.GetFileName(targetPath)} has {target.Count}: the files must be line-aligned");
        }
        return new ParallelCorpus(name ?? Path.GetFileNameWithoutExtension(sourcePath), source, target);
    }

    /// <summary>
    /// Reads one tokenized sentence per line.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">A line is empty or white space only (named by file and line number).</exception>
    public static List<string[]> ReadSentences(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"file not found: {path}", path);
        var sentences = new List<string[]>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            string[] tokens = Tokenize(line);
            if (tokens.Length == 0)
                throw new DataFormatException($"{Path.GetFileName(path)}, line {lineNumber}: empty sentence");
            sentences.Add(tokens);
        }
        return sentences;
    }

    /// <summary>Splits an already tokenized line on white space.</summary>
    public static string[] Tokenize(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }
}
