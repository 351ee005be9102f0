using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LstmNative.Formats;
using LstmNative.Translation;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative translate train|eval|run</c>: trains an attention translator on a Multi30k-style folder, scores one
/// with corpus BLEU, or serves it one line in, one line out.
/// </summary>
internal static class TranslateCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("translate", "train, evaluate or run a BiLSTM + attention translator (Multi30k German → English)");
        command.Subcommands.Add(Train(stdout));
        command.Subcommands.Add(Eval(stdout));
        command.Subcommands.Add(RunLines(stdout));
        return command;
    }

    private static Option<FileInfo> ModelOption() => new("--model", "-m") { Description = "model.safetensors written by 'translate train'", Required = true };

    private static Option<int> Beam() => new("--beam") { Description = "beam size (1: greedy; at most the target vocabulary size)", DefaultValueFactory = _ => 5 };

    private static Option<double> Alpha() => new("--length-penalty") { Description = "GNMT length penalty alpha (0: raw log-probabilities)", DefaultValueFactory = _ => 0.6 };

    private static Option<double> Beta() => new("--coverage-penalty") { Description = "GNMT coverage penalty beta (0: off)", DefaultValueFactory = _ => 0.0 };

    private static Translator LoadTranslator(FileInfo model)
    {
        try
        {
            return Translator.Load(model.FullName);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or KeyNotFoundException or JsonException)
        {
            throw new CliException(e.Message);
        }
    }

    private static void Validate(Translator translator, DecodeOptions options)
    {
        try
        {
            translator.Validate(options);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>
    /// Refuses a sentence over <see cref="Translator.MaxSourceTokens"/> with its file and line, before any decoding, so a
    /// runaway line is one clear error instead of minutes of work.
    /// </summary>
    private static void CheckLength(string line, string file, int lineNumber)
    {
        int tokens = Vocabulary.Tokenize(line).Length;
        if (tokens > Translator.MaxSourceTokens)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"{file}:{lineNumber}: {tokens} tokens, over the limit of {Translator.MaxSourceTokens} per sentence (is it one sentence a line?)"));
    }

    private static Command Eval(TextWriter stdout)
    {
        var model = ModelOption();
        var source = new Option<FileInfo>("--source") { Description = $"tokenized source sentences, one a line (at most {Translator.MaxSourceTokens} tokens each)", Required = true };
        var reference = new Option<FileInfo>("--reference") { Description = "tokenized reference translations, line-aligned with --source", Required = true };
        var beam = Beam();
        var alpha = Alpha();
        var beta = Beta();
        var output = new Option<FileInfo>("--output") { Description = "write the translations to this file" };
        var maps = new Option<int>("--attention-maps") { Description = "write attention heat maps (PNG) of the first N sentences beside --output", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch-size") { Description = "sentences decoded together", DefaultValueFactory = _ => 32 };
        var command = new Command("eval", "translate --source and print corpus BLEU against --reference as multi-bleu.perl does")
        {
            model, source, reference, beam, alpha, beta, output, maps, batch,
        };
        command.SetAction(parse =>
        {
            string[] src, refs;
            try
            {
                // A test set may hold an empty line: it translates to an empty line and is scored as one.
                (src, refs) = ParallelCorpus.ReadLines(parse.GetValue(source)!.FullName, parse.GetValue(reference)!.FullName, allowEmptyLines: true);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
            {
                throw new CliException(e.Message);
            }
            string sourcePath = parse.GetValue(source)!.FullName;
            for (int i = 0; i < src.Length; i++)
                CheckLength(src[i], sourcePath, i + 1);
            var translator = LoadTranslator(parse.GetValue(model)!);
            var options = new DecodeOptions { BeamSize = parse.GetValue(beam), LengthPenalty = parse.GetValue(alpha), CoveragePenalty = parse.GetValue(beta) };
            Validate(translator, options);
            int batchSize = parse.GetValue(batch);
            if (batchSize < 1)
                throw new CliException($"--batch-size must be positive, got {batchSize}");
            // The translations and maps are written after decoding: a bad path is found now, not after the work.
            string? outputPath = parse.GetValue(output)?.FullName;
            if (outputPath is not null)
            {
                CommonOptions.RefuseOverwrite(outputPath, "--output", sourcePath, "the --source file");
                CommonOptions.RefuseOverwrite(outputPath, "--output", parse.GetValue(reference)!.FullName, "the --reference file");
                OutputPaths.CheckFile(outputPath, "--output");
            }
            int mapCount = Math.Min(parse.GetValue(maps), src.Length);
            string mapDir = Path.GetDirectoryName(outputPath ?? Path.GetFullPath("x"))!;
            for (int i = 0; i < mapCount; i++)
                OutputPaths.CheckFile(Path.Combine(mapDir, $"attention-{i + 1}.png"), "an attention map");
            var clock = Stopwatch.StartNew();
            var translations = translator.TranslateBatch(src, options, batchSize);
            var hyps = translations.Select(t => t.Text).ToArray();
            double seconds = clock.Elapsed.TotalSeconds;
            for (int i = 0; i < mapCount; i++)
            {
                var tr = translations[i];
                if (tr.SourceWords.Count == 0)
                    continue; // an empty line: nothing to draw
                var outWords = Vocabulary.Tokenize(tr.Text).Append("</s>").ToArray();
                int rows = Math.Min(outWords.Length, tr.Attention.Length), cols = tr.SourceWords.Count;
                var a = new float[rows, cols];
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++)
                        a[r, c] = tr.Attention[r][c];
                TranslationPlots.SaveAttentionMap(tr.SourceWords, outWords[..rows], a, Path.Combine(mapDir, $"attention-{i + 1}.png"), $"Attention, sentence {i + 1}");
            }
            if (outputPath is not null)
                LstmNative.Formats.AtomicFile.WriteAllBytes(outputPath, System.Text.Encoding.UTF8.GetBytes(string.Join('\n', hyps) + "\n"));
            stdout.WriteLine(Bleu.Corpus(hyps, refs).ToString());
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{src.Length} sentences in {seconds:F1} s ({src.Length / seconds:F1} sentences/s), beam {options.BeamSize}"));
            return CliApp.Ok;
        });
        return command;
    }

    private static Command RunLines(TextWriter stdout)
    {
        var model = ModelOption();
        var input = new Option<FileInfo>("--input") { Description = $"tokenized sentences, one a line, at most {Translator.MaxSourceTokens} tokens each (default: stdin)" };
        var beam = Beam();
        var nbest = new Option<int>("--n-best") { Description = "hypotheses per input line (tab-separated with their scores when above 1)", DefaultValueFactory = _ => 1 };
        var alpha = Alpha();
        var beta = Beta();
        var command = new Command("run", "translate one line in, one line out (stdin or --input)") { model, input, beam, nbest, alpha, beta };
        command.SetAction(parse =>
        {
            var translator = LoadTranslator(parse.GetValue(model)!);
            var options = new DecodeOptions { BeamSize = parse.GetValue(beam), NBest = parse.GetValue(nbest), LengthPenalty = parse.GetValue(alpha), CoveragePenalty = parse.GetValue(beta) };
            Validate(translator, options);
            TextReader reader;
            string inputName = "stdin";
            if (parse.GetValue(input) is { } f)
            {
                if (!f.Exists)
                    throw new CliException($"--input: no such file: {f.FullName}");
                reader = new StreamReader(f.FullName);
                inputName = f.FullName;
            }
            else
            {
                reader = Console.In;
            }
            using (reader)
            {
                int lineNumber = 0;
                while (reader.ReadLine() is { } line)
                {
                    CheckLength(line, inputName, ++lineNumber);
                    if (string.IsNullOrWhiteSpace(line))
                    {
                        stdout.WriteLine();
                        continue;
                    }
                    var t = translator.Translate(line.ToLowerInvariant(), options);
                    stdout.WriteLine(options.NBest == 1 ? t.Text
                        : string.Join('\t', t.NBest.Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Text} ||| {h.Score:F4}"))));
                    stdout.Flush();
                }
            }
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Train(TextWriter stdout)
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "folder with train/val files named train.<...>.<lang> (e.g. ../shared/data/multi30k)", Required = true };
        var src = new Option<string>("--src") { Description = "source language suffix", DefaultValueFactory = _ => "de" };
        var tgt = new Option<string>("--tgt") { Description = "target language suffix", DefaultValueFactory = _ => "en" };
        var epochs = Int("--epochs", "maximum epochs", 30);
        var emb = Int("--embedding", "embedding size", 256);
        var hidden = Int("--hidden", "hidden size (each encoder direction and the decoder)", 256);
        var layers = Int("--layers", "bidirectional encoder layers", 1);
        var batch = Int("--batch-size", "sentence pairs per batch", 64);
        var minCount = Int("--min-count", "minimum training count of a vocabulary word", 2);
        var attention = new Option<string>("--attention") { Description = "attention score: general (Luong) or additive (Bahdanau)", DefaultValueFactory = _ => "general" };
        attention.AcceptOnlyFromAmong("general", "additive");
        var coverage = new Option<bool>("--coverage") { Description = "Tu et al. coverage in the attention score" };
        var coverageLoss = new Option<double>("--coverage-loss") { Description = "See et al. coverage loss weight (0: off)", DefaultValueFactory = _ => 0.0 };
        var tied = new Option<bool>("--tied") { Description = "tie the target embedding and the output projection" };
        var dropout = new Option<double>("--dropout") { Description = "dropout", DefaultValueFactory = _ => 0.3 };
        var smoothing = new Option<double>("--label-smoothing") { Description = "label smoothing", DefaultValueFactory = _ => 0.1 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 2e-3 };
        var clip = new Option<double>("--clip") { Description = "global gradient-norm clip", DefaultValueFactory = _ => 5.0 };
        var patience = Int("--patience", "epochs without a better validation loss before stopping", 4);
        var maxMinutes = new Option<double>("--max-minutes") { Description = "wall-clock budget; stops and keeps the best checkpoint (0: none)", DefaultValueFactory = _ => 0.0 };
        var checks = Int("--checks-per-epoch", "validation checks (and best-checkpoint saves) per epoch", 1);
        var seed = Int("--seed", "random seed", 1);
        var outputDir = new Option<DirectoryInfo>("--output-dir", "-o") { Description = "folder for model.safetensors, the loss plot and the log", Required = true };
        var report = new Option<FileInfo>("--report") { Description = "write the run's summary as JSON to this file" };
        var command = new Command("train", "train a translator; the best checkpoint (by validation loss) is --output-dir/model.safetensors")
        {
            data, src, tgt, epochs, emb, hidden, layers, batch, minCount, attention, coverage, coverageLoss, tied, dropout, smoothing,
            lr, clip, patience, maxMinutes, checks, seed, outputDir, report,
        };
        command.SetAction(parse =>
        {
            LstmNative.Forecasting.ForecastPlots.EnsureRenderer(); // the loss plot comes after training: fail before it
            string dir = parse.GetValue(data)!.FullName;
            if (!Directory.Exists(dir))
                throw new CliException($"--data: no such folder: {dir}");
            string s = parse.GetValue(src)!, t = parse.GetValue(tgt)!;
            var settings = new TranslationSettings
            {
                EmbeddingSize = parse.GetValue(emb), HiddenSize = parse.GetValue(hidden), EncoderLayers = parse.GetValue(layers),
                BatchSize = parse.GetValue(batch), MinCount = parse.GetValue(minCount),
                Attention = parse.GetValue(attention) == "additive" ? AttentionKind.Additive : AttentionKind.General,
                Coverage = parse.GetValue(coverage), CoverageLossWeight = parse.GetValue(coverageLoss), TiedEmbeddings = parse.GetValue(tied),
                Dropout = parse.GetValue(dropout), LabelSmoothing = parse.GetValue(smoothing), LearningRate = parse.GetValue(lr),
                ClipNorm = parse.GetValue(clip), Epochs = parse.GetValue(epochs), Patience = parse.GetValue(patience),
                MaxMinutes = parse.GetValue(maxMinutes), ValidationsPerEpoch = parse.GetValue(checks), Seed = parse.GetValue(seed),
            };
            settings.Validate();
            // Every file the run writes is checked before hours of training, not after them (and after the first
            // check has replaced the model an earlier run left in the folder). Nothing is created until the data is read.
            string outDir = parse.GetValue(outputDir)!.FullName;
            string modelPath = Path.Combine(outDir, "model.safetensors"), lossPath = Path.Combine(outDir, "loss.png");
            OutputPaths.CheckFolder(outDir, "-o");
            OutputPaths.CheckFile(modelPath, "the model", createdFolder: outDir);
            OutputPaths.CheckFile(lossPath, "the loss plot", createdFolder: outDir);
            string? reportPath = parse.GetValue(report)?.FullName;
            if (reportPath is not null)
            {
                CommonOptions.RefuseOverwrite(reportPath, "--report", modelPath, "where the run writes its model");
                CommonOptions.RefuseOverwrite(reportPath, "--report", lossPath, "where the run writes its loss plot");
                OutputPaths.CheckFile(reportPath, "--report", createdFolder: outDir);
            }
            var (trainSrc, trainTgt) = ParallelCorpus.ReadLines(FindSplit(dir, "train", s), FindSplit(dir, "train", t));
            var (valSrc, valTgt) = ParallelCorpus.ReadLines(FindSplit(dir, "val", s), FindSplit(dir, "val", t));
            var sv = Vocabulary.Build(trainSrc, settings.MinCount);
            var tv = Vocabulary.Build(trainTgt, settings.MinCount);
            var train = ParallelCorpus.Encode(trainSrc, trainTgt, sv, tv);
            var val = ParallelCorpus.Encode(valSrc, valTgt, sv, tv);
            var model = new Seq2SeqModel<float>(settings, sv.Count, tv.Count, new Random(settings.Seed));
            Directory.CreateDirectory(outDir);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"train {train.Count} pairs, val {val.Count}; vocabularies {s} {sv.Count}, {t} {tv.Count}; {model.ParameterCount:N0} parameters"));
            stdout.WriteLine($"settings {settings.ToJson()}");
            var summary = TranslateTrainConsole.Run(stdout, progress => TranslationTrainer.Train(model, train, val, sv, tv, modelPath, progress));
            TranslationPlots.SaveLossPlot(summary.Checks, lossPath);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"stopped: {summary.StopReason}; {summary.Epochs:F2} epochs in {summary.Minutes:F1} min, {summary.TokensPerSecond:F0} target tokens/s; best val loss {summary.BestValidationLoss:F4}; model {modelPath}"));
            if (reportPath is not null)
                Core.AtomicFileText(reportPath, JsonSerializer.Serialize(new { settings = settings.ToJson(), summary }, Indented));
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>The file of <paramref name="split"/> in <paramref name="language"/>: <c>split.lang</c> or <c>split.*.lang</c>.</summary>
    internal static string FindSplit(string dir, string split, string language)
    {
        string plain = Path.Combine(dir, $"{split}.{language}");
        if (File.Exists(plain))
            return plain;
        var found = Directory.GetFiles(dir, $"{split}.*.{language}");
        return found.Length == 1 ? found[0]
            : throw new CliException(found.Length == 0 ? $"no {split} file for '{language}' in {dir} (expected {split}.{language} or {split}.*.{language})"
                : $"several {split} files for '{language}' in {dir}: {string.Join(", ", found.Select(Path.GetFileName))}");
    }

    private static Option<int> Int(string name, string description, int defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    private static class Core
    {
        public static void AtomicFileText(string path, string text) => LstmNative.Formats.AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
    }
}
