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
        // Written as !(x > 0) so that NaN (which "--lr NaN" parses to) fails too.
        if (EmbeddingSize < 1 || HiddenSize < 1 || EncoderLayers < 1)
            throw new ArgumentException($"embedding size, hidden size and encoder layers must be positive, got {EmbeddingSize}, {HiddenSize} and {EncoderLayers}");
        if (TiedEmbeddings && EmbeddingSize != HiddenSize)
            throw new ArgumentException($"tied embeddings need embedding size == hidden size, got {EmbeddingSize} and {HiddenSize}");
        Check(Dropout is >= 0 and < 1, "dropout", Dropout, "in [0, 1)");
        Check(LabelSmoothing is >= 0 and < 1, "label smoothing", LabelSmoothing, "in [0, 1)");
        Check(CoverageLossWeight >= 0 && double.IsFinite(CoverageLossWeight), "coverage loss weight", CoverageLossWeight, "a non-negative number");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "learning rate", LearningRate, "positive");
        Check(ClipNorm > 0, "clip norm", ClipNorm, "positive"); // +∞ is allowed: no clipping
        Check(MaxMinutes >= 0, "time budget (max minutes)", MaxMinutes, "non-negative (0: none)");
        Check(BatchSize >= 1, "batch size", BatchSize, "positive");
        Check(Epochs >= 1, "epochs", Epochs, "positive");
        Check(Patience >= 1, "patience", Patience, "positive");
        Check(MinCount >= 1, "min count", MinCount, "positive");
        Check(ValidationsPerEpoch >= 1, "validations per epoch", ValidationsPerEpoch, "positive");
    }

    private static void Check(bool ok, string name, double value, string expected)
    {
        if (!ok)
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} must be {expected}, got {value}"));
    }

    /// <summary>The settings as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    public static TranslationSettings FromJson(string json) =>
        JsonSerializer.Deserialize<TranslationSettings>(json, Json) ?? throw new InvalidDataException("empty settings");
}
