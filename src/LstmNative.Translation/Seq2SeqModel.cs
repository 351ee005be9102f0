using System.Numerics;
using LstmNative.Engines;
using LstmNative.Training;
using LstmNative.Training.Layers;
using LstmNative.Training.Losses;

namespace LstmNative.Translation;

/// <summary>
/// Attention encoder–decoder: Embedding (dropout) → bidirectional LSTM encoder with sequence lengths (the module's
/// engine: the fast CPU engine for float) → bridge (<c>h₀ = tanh(W[h→;h←])</c>, <c>c₀ = W[c→;c←]</c>) → LSTM decoder
/// with input feeding (<c>[emb(y); h̃ₜ₋₁]</c>) and attention over the encoder states, masked past each source length,
/// additive or Luong "general", with optional Tu et al. coverage in the score → <c>h̃ = tanh(W_c[ctx; h])</c> →
/// output projection (optionally tied to the target embedding). The decoder, attention and loss have hand-written
/// backward passes (<see cref="Seq2SeqTrainingPass"/>), checked by finite differences in the tests.
/// Not thread-safe: one model instance serves one caller at a time (decoding and training reuse its state).
/// </summary>
/// <typeparam name="T">float for training and decoding; double for gradient checks.</typeparam>
public sealed class Seq2SeqModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Parameter<T>> _own = [];

    /// <summary>Creates a model with fresh weights drawn from <paramref name="random"/>.</summary>
    public Seq2SeqModel(TranslationSettings settings, int sourceVocabulary, int targetVocabulary, Random random, IRnnLayerEngine<T>? engine = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(random);
        settings.Validate();
        Settings = settings;
        int e = settings.EmbeddingSize, h = settings.HiddenSize;
        SourceVocabulary = sourceVocabulary;
        TargetVocabulary = targetVocabulary;
        SourceEmbedding = new Embedding<T>(sourceVocabulary, e, random, Vocabulary.Pad);
        TargetEmbedding = new Embedding<T>(targetVocabulary, e, random, Vocabulary.Pad);
        Encoder = new Lstm<T>(e, h, random, settings.EncoderLayers, settings.Dropout, bidirectional: true, engine: engine);
        BridgeH = Own("bridge_h.weight", random, h, 2 * h);
        BridgeHBias = Own("bridge_h.bias", random, h);
        BridgeC = Own("bridge_c.weight", random, h, 2 * h);
        BridgeCBias = Own("bridge_c.bias", random, h);
        DecoderWeight = Own("decoder.weight", random, 4 * h, e + 2 * h);
        DecoderBias = Own("decoder.bias", null, 4 * h);
        for (int i = h; i < 2 * h; i++)
            DecoderBias.Value.Data[i] = T.One; // forget gate starts open, as the encoder's
        AttentionKey = Own("attention.key", random, h, 2 * h);
        if (settings.Attention == AttentionKind.Additive)
        {
            AttentionQuery = Own("attention.query", random, h, h);
            AttentionVector = Own("attention.v", random, h);
        }
        if (settings.Coverage)
            CoverageWeight = Own("attention.coverage", random, settings.Attention == AttentionKind.Additive ? h : 1);
        Combine = Own("combine.weight", random, h, 3 * h);
        if (!settings.TiedEmbeddings)
            Output = Own("output.weight", random, targetVocabulary, h);
        OutputBias = Own("output.bias", null, targetVocabulary);
    }

    /// <summary>The model's settings.</summary>
    public TranslationSettings Settings { get; }

    /// <summary>Source vocabulary size.</summary>
    public int SourceVocabulary { get; }

    /// <summary>Target vocabulary size.</summary>
    public int TargetVocabulary { get; }

    internal Embedding<T> SourceEmbedding { get; }
    internal Embedding<T> TargetEmbedding { get; }
    internal Lstm<T> Encoder { get; }
    internal Parameter<T> BridgeH { get; }
    internal Parameter<T> BridgeHBias { get; }
    internal Parameter<T> BridgeC { get; }
    internal Parameter<T> BridgeCBias { get; }
    internal Parameter<T> DecoderWeight { get; }
    internal Parameter<T> DecoderBias { get; }
    internal Parameter<T> AttentionKey { get; }
    internal Parameter<T>? AttentionQuery { get; }
    internal Parameter<T>? AttentionVector { get; }
    internal Parameter<T>? CoverageWeight { get; }
    internal Parameter<T> Combine { get; }
    internal Parameter<T>? Output { get; }
    internal Parameter<T> OutputBias { get; }

    /// <summary>The output projection's weight <c>[V, H]</c> (the target embedding when tied).</summary>
    internal Parameter<T> OutputWeight => Output ?? TargetEmbedding.Weight;

    /// <summary>
    /// The training loss: label-smoothed cross-entropy over the target vocabulary, padding ignored (PyTorch's
    /// <c>CrossEntropyLoss(ignore_index=pad, label_smoothing=ε)</c>); held here so its buffers are reused batch after batch.
    /// </summary>
    internal CrossEntropyLoss<T> Loss => _loss ??= new CrossEntropyLoss<T>(Reduction.Mean, Vocabulary.Pad, Settings.LabelSmoothing);

    private CrossEntropyLoss<T>? _loss;
    private T[] _logits = [], _dLogits = [];

    /// <summary>
    /// The training pass's logits and their gradient, at least <paramref name="values"/> long, kept between batches
    /// (they only grow). The logits are overwritten by the caller; the gradient by the loss.
    /// </summary>
    internal (T[] Logits, T[] Gradient) LogitBuffers(int values)
    {
        if (_logits.Length < values)
        {
            _logits = [];
            _dLogits = [];
            _logits = new T[values];
            _dLogits = new T[values];
        }
        return (_logits, _dLogits);
    }

    /// <summary>Every trainable parameter once, with checkpoint names.</summary>
    public IReadOnlyList<Parameter<T>> Parameters()
    {
        var all = new List<Parameter<T>>();
        all.AddRange(SourceEmbedding.Parameters().Select(p => p.WithPrefix("source_embedding")));
        all.AddRange(TargetEmbedding.Parameters().Select(p => p.WithPrefix("target_embedding")));
        all.AddRange(Encoder.Parameters().Select(p => p.WithPrefix("encoder")));
        all.AddRange(_own);
        return all;
    }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Value.Length);

    /// <summary>Training mode (dropout on) or evaluation mode.</summary>
    public bool IsTraining { get; set; }

    private Parameter<T> Own(string name, Random? random, params int[] shape)
    {
        var p = new Parameter<T>(name, new Tensor<T>(shape));
        if (random is not null)
        {
            int fanIn = shape.Length > 1 ? shape[1] : shape[0];
            double bound = 1 / Math.Sqrt(fanIn);
            var data = p.Value.Data;
            for (int i = 0; i < data.Length; i++)
                data[i] = T.CreateChecked((random.NextDouble() * 2 - 1) * bound);
        }
        _own.Add(p);
        return p;
    }
}
