using System.Text.Json;
using System.Text.Json.Serialization;

namespace LstmNative.Translation;

/// <summary>How the decoder scores encoder positions.</summary>
public enum AttentionKind
{
    /// <summary>Bahdanau et al. (2015): <c>vᵀ tanh(W_q h + W_k e)</c>.</summary>
    Additive,

    /// <summary>Luong et al. (2015) "general": <c>hᵀ W_a e</c>.</summary>
    General,
}

/// <summary>Every setting of a translation model and its training run; stored in the checkpoint.</summary>
public sealed record TranslationSettings
{
    /// <summary>Word embedding size (source and target).</summary>
    public int EmbeddingSize { get; init; } = 256;

    /// <summary>Hidden size of each encoder direction and of the decoder.</summary>
    public int HiddenSize { get; init; } = 256;

    /// <summary>Bidirectional encoder layers.</summary>
    public int EncoderLayers { get; init; } = 1;

    /// <summary>Attention scoring function.</summary>
    public AttentionKind Attention { get; init; } = AttentionKind.General;

    /// <summary>Tu et al. (2016) coverage: the running sum of past attention enters the score.</summary>
    public bool Coverage { get; init; }

    /// <summary>See et al. (2017) coverage loss weight (Σ min(attention, coverage)); 0 turns it off.</summary>
    public double CoverageLossWeight { get; init; }

    /// <summary>Share the target embedding with the output projection (needs EmbeddingSize == HiddenSize).</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>Dropout on embeddings and on the attentional state before the output projection.</summary>
    public double Dropout { get; init; } = 0.3;

    /// <summary>Label smoothing ε of the cross-entropy.</summary>
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>Minimum training count of a word to enter a vocabulary.</summary>
    public int MinCount { get; init; } = 2;

    /// <summary>Sentence pairs per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Global gradient-norm clip.</summary>
    public double ClipNorm { get; init; } = 5;

    /// <summary>Maximum epochs.</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Epochs without validation improvement before stopping.</summary>
    public int Patience { get; init; } = 4;

    /// <summary>Wall-clock budget in minutes (0: none); training stops after the batch that crosses it and keeps the best.</summary>
    public double MaxMinutes { get; init; }

    /// <summary>Validation checks per epoch (more give the time budget finer checkpoints).</summary>
    public int ValidationsPerEpoch { get; init; } = 1;

    /// <summary>Random seed for initialisation, shuffling and dropout.</summary>
    public int Seed { get; init; } = 1;

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (EmbeddingSize < 1 || HiddenSize < 1 || EncoderLayers < 1)
            throw new ArgumentException("embedding size, hidden size and encoder layers must be positive");
        if (TiedEmbeddings && EmbeddingSize != HiddenSize)
            throw new ArgumentException($"tied embeddings need embedding size == hidden size, got {EmbeddingSize} and {HiddenSize}");
        if (Dropout is < 0 or >= 1 || LabelSmoothing is < 0 or >= 1 || CoverageLossWeight < 0)
            throw new ArgumentException("dropout and label smoothing must be in [0, 1), the coverage loss weight non-negative");
        if (BatchSize < 1 || Epochs < 1 || MinCount < 1 || LearningRate <= 0 || ClipNorm <= 0 || ValidationsPerEpoch < 1)
            throw new ArgumentException("batch size, epochs, min count, learning rate, clip norm and validations per epoch must be positive");
    }

    /// <summary>The settings as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    public static TranslationSettings FromJson(string json) =>
        JsonSerializer.Deserialize<TranslationSettings>(json, Json) ?? throw new InvalidDataException("empty settings");
}
