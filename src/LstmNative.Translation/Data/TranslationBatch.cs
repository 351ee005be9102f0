namespace LstmNative.Translation.Data;

/// <summary>
/// One padded batch, batch-first: <c>Source[b * SourceLength + t]</c> with <see cref="Vocabulary.Pad"/> past each row's
/// length. Source rows end with <c>&lt;/s&gt;</c>; <see cref="TargetInput"/> is <c>&lt;s&gt; y1 … yn</c> and
/// <see cref="TargetOutput"/> is <c>y1 … yn &lt;/s&gt;</c> (teacher forcing), both of <see cref="TargetLengths"/>.
/// </summary>
public sealed class TranslationBatch
{
    internal TranslationBatch(int[] indices, int sourceLength, int targetLength)
    {
        Indices = indices;
        SourceLength = sourceLength;
        TargetLength = targetLength;
        Source = new int[indices.Length * sourceLength];
        SourceLengths = new int[indices.Length];
        TargetInput = new int[indices.Length * targetLength];
        TargetOutput = new int[indices.Length * targetLength];
        TargetLengths = new int[indices.Length];
    }

    /// <summary>Rows in the batch.</summary>
    public int BatchSize => Indices.Length;

    /// <summary>The corpus index of each row.</summary>
    public int[] Indices { get; }

    /// <summary>Padded source length (the longest row's).</summary>
    public int SourceLength { get; }

    /// <summary>Padded target length (the longest row's).</summary>
    public int TargetLength { get; }

    /// <summary>Source ids, batch-first, padded.</summary>
    public int[] Source { get; }

    /// <summary>Each row's source length (its <c>&lt;/s&gt;</c> included).</summary>
    public int[] SourceLengths { get; }

    /// <summary>Decoder input ids (<c>&lt;s&gt;</c> first), batch-first, padded.</summary>
    public int[] TargetInput { get; }

    /// <summary>Decoder output ids (<c>&lt;/s&gt;</c> last), batch-first, padded.</summary>
    public int[] TargetOutput { get; }

    /// <summary>Each row's target length (one more than its word count).</summary>
    public int[] TargetLengths { get; }

    /// <summary>Number of non-padding target tokens, the denominator of the per-token loss.</summary>
    public int TargetTokens => TargetLengths.Sum();
}
