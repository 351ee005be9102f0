using LstmNative.Formats;
using LstmNative.Model;

namespace LstmNative.Translation;

/// <summary>
/// A trained translator on disk: every parameter as float32 safetensors, with the settings (JSON) and both
/// vocabularies in the header's metadata, written atomically (a crash never leaves half a file over the last one).
/// </summary>
public static class TranslationCheckpoint
{
    /// <summary>Metadata key naming the format, so a model file from another command is refused clearly.</summary>
    public const string FormatKey = "lstmnative.format";

    /// <summary>The value of <see cref="FormatKey"/>.</summary>
    public const string FormatValue = "translation-v1";

    /// <summary>Writes the model and its vocabularies to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Seq2SeqModel<float> model, Vocabulary source, Vocabulary target)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var tensors = model.Parameters().Select(p => new KeyValuePair<string, NdArray>(p.Name,
            NdArray.FromFloats((float[])p.Value.Data.Clone(), p.Value.Shape.ToArray())));
        var meta = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            ["settings"] = model.Settings.ToJson(),
            ["source_vocabulary"] = source.Serialize(),
            ["target_vocabulary"] = target.Serialize(),
        };
        var bytes = SafetensorsWriter.ToBytes(tensors, meta);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Loads a checkpoint; throws <see cref="InvalidDataException"/> for a file that is not one.</summary>
    public static (Seq2SeqModel<float> Model, Vocabulary Source, Vocabulary Target) Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"no such model file: {path}", path);
        SafetensorsFile file;
        try
        {
            file = SafetensorsReader.Read(path);
        }
        catch (ModelFormatException ex)
        {
            // The reader's message names the file and what it found: "truncated safetensors file: ..." for a model cut
            // short (a full disk, an interrupted copy), "not a safetensors file: ..." for another kind of file.
            throw new InvalidDataException(ex.Message, ex);
        }
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != FormatValue)
            throw new InvalidDataException($"{path} is not a translation model (written by another command?)");
        TranslationSettings settings;
        Vocabulary source, target;
        try
        {
            settings = TranslationSettings.FromJson(Meta(file, path, "settings"));
            settings.Validate();
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: bad settings in the metadata: {ex.Message}", ex);
        }
        try
        {
            source = Vocabulary.Deserialize(Meta(file, path, "source_vocabulary"));
            target = Vocabulary.Deserialize(Meta(file, path, "target_vocabulary"));
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{path}: bad vocabulary in the metadata: {ex.Message}", ex);
        }
        // Sizes in a damaged or hostile header must not make us allocate a model of any size: the encoder's first layer,
        // the decoder and the embeddings alone must fit in the values the file holds.
        long stored = file.Tensors.Sum(t => t.Shape.Aggregate(1L, (a, d) => a * d));
        long e = settings.EmbeddingSize, h = settings.HiddenSize;
        double least = 8.0 * h * (e + h) * settings.EncoderLayers + 4.0 * h * (e + 2 * h) + e * ((double)source.Count + target.Count);
        if (least > stored)
            throw new InvalidDataException($"{path}: the settings (embedding {e}, hidden {h}, {settings.EncoderLayers} layers) need more than the {stored} values stored");
        var model = new Seq2SeqModel<float>(settings, source.Count, target.Count, new Random(0));
        foreach (var p in model.Parameters())
        {
            if (!file.Contains(p.Name))
                throw new InvalidDataException($"{path} lacks the tensor '{p.Name}'");
            var values = file.Read(p.Name).ToFloats();
            if (values.Length != p.Value.Length)
                throw new InvalidDataException($"{path}: tensor '{p.Name}' has {values.Length} values, expected {p.Value.Length}");
            values.CopyTo(p.Value.Data, 0);
        }
        return (model, source, target);
    }

    private static string Meta(SafetensorsFile file, string path, string key) =>
        file.Metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{path} has no '{key}' in its metadata (not a complete translation model)");
}
