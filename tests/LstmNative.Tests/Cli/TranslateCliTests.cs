using System.Text;
using LstmNative.Formats;
using LstmNative.Model;
using LstmNative.Translation;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary>
/// <c>lstmnative translate train|eval|run</c>: a tiny end-to-end run whose log reaches a redirected output, and bad input
/// (missing files, misaligned or empty lines, unknown words, model files that are not translation models) reported as
/// one line on stderr with a non-zero exit, or handled sensibly where it is not an error.
/// </summary>
public class TranslateCliTests
{
    private static readonly string[] SourceLines =
    [
        "ein hund läuft", "eine katze schläft", "zwei männer", "ein kind spielt", "ein mann läuft", "eine frau schläft",
        "zwei hunde spielen", "ein kind läuft", "eine katze spielt", "zwei frauen", "ein mann schläft", "zwei kinder spielen",
    ];

    private static readonly string[] TargetLines =
    [
        "a dog runs", "a cat sleeps", "two men", "a child plays", "a man runs", "a woman sleeps",
        "two dogs play", "a child runs", "a cat plays", "two women", "a man sleeps", "two children play",
    ];

    // A tiny model, batch size 1 over 30 pairs for 2 epochs: 60 batches, so the every-50-batches log line appears once.
    private static readonly string[] Tiny = ["--embedding", "6", "--hidden", "6", "--epochs", "2", "--batch-size", "1", "--min-count", "1", "--dropout", "0"];

    private CliHarness _shared = null!;
    private string _model = null!;

    private static string WriteData(CliHarness cli, string name, string[]? src = null, string[]? tgt = null, string[]? valSrc = null, string[]? valTgt = null)
    {
        string dir = cli.PathOf(name);
        Directory.CreateDirectory(dir);
        src ??= [.. SourceLines, .. SourceLines, .. SourceLines[..6]];
        tgt ??= [.. TargetLines, .. TargetLines, .. TargetLines[..6]];
        File.WriteAllLines(Path.Combine(dir, "train.de"), src);
        File.WriteAllLines(Path.Combine(dir, "train.en"), tgt);
        File.WriteAllLines(Path.Combine(dir, "val.de"), valSrc ?? SourceLines[..3]);
        File.WriteAllLines(Path.Combine(dir, "val.en"), valTgt ?? TargetLines[..3]);
        return dir;
    }

    [OneTimeSetUp]
    public void TrainTheSharedModel()
    {
        _shared = new CliHarness();
        string data = WriteData(_shared, "data");
        var (exit, stdout, err) = _shared.Run(["translate", "train", "--data", data, .. Tiny, "-o", _shared.PathOf("model"), "--report", _shared.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        _model = _shared.PathOf(Path.Combine("model", "model.safetensors"));
        Assert.That(File.Exists(_model));
        Assert.That(File.Exists(_shared.PathOf(Path.Combine("model", "loss.png"))));
        Assert.That(File.Exists(_shared.PathOf("report.json")));
        Assert.That(err, Is.Empty);
        // Redirected output gets the plain log: a batch line every 50 batches and a line per check, not a progress bar.
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Count(l => l.Contains("] batch 50/60 epoch 2 loss ", StringComparison.Ordinal) && l.Contains(" tok/s", StringComparison.Ordinal)), Is.EqualTo(1), stdout);
        Assert.That(lines.Count(l => l.Contains(" check: epoch ", StringComparison.Ordinal)), Is.EqualTo(2), stdout);
        Assert.That(lines[^1], Does.StartWith("stopped: epoch limit; 2.00 epochs"));
        Assert.That(stdout, Does.Not.Contain("\u001b"), "no terminal escape codes in a redirected log");
    }

    [OneTimeTearDown]
    public void DeleteTheSharedModel() => _shared.Dispose();

    private static void AssertOneLineError((int Exit, string Out, string Err) result, params string[] fragments)
    {
        Assert.That(result.Exit, Is.Not.Zero, result.Out);
        string line = result.Err.TrimEnd('\n');
        Assert.That(line, Does.Not.Contain('\n'), "one line");
        Assert.That(line, Does.StartWith("lstmnative: error: "));
        Assert.That(line, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(line, Does.Not.Contain("internal error"));
        foreach (var f in fragments)
            Assert.That(line, Does.Contain(f));
    }

    // ---- train

    /// <summary>A console output that says it is a terminal, so the live progress bar is drawn into a string.</summary>
    private sealed class FakeTerminal(TextWriter writer) : Spectre.Console.IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;

        public bool IsTerminal => true;

        public int Width => 160;

        public int Height => 40;

        public void SetEncoding(Encoding encoding)
        {
        }
    }

    [Test]
    public void OnATerminalTrainingShowsAProgressBarWithLossSpeedAndEtaAndPrintsEachCheck()
    {
        using var cli = new CliHarness();
        var corpus = ParallelCorpus.Encode(SourceLines, TargetLines, Vocabulary.Build(SourceLines, 1), Vocabulary.Build(TargetLines, 1));
        var sv = Vocabulary.Build(SourceLines, 1);
        var tv = Vocabulary.Build(TargetLines, 1);
        var model = new Seq2SeqModel<float>(new TranslationSettings { EmbeddingSize = 4, HiddenSize = 4, BatchSize = 4, Epochs = 2, Dropout = 0 }, sv.Count, tv.Count, new Random(1));
        var text = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new FakeTerminal(text),
            Ansi = Spectre.Console.AnsiSupport.Yes,
            Interactive = Spectre.Console.InteractionSupport.Yes,
        });
        var summary = LstmNative.Cli.Commands.TranslateTrainConsole.Run(console, text,
            progress => TranslationTrainer.Train(model, corpus, corpus, sv, tv, cli.PathOf("m.safetensors"), progress));
        string shown = text.ToString();
        Assert.That(summary.Checks, Has.Count.EqualTo(2));
        Assert.That(shown, Does.Contain("\u001b["), "drawn with terminal escape codes");
        Assert.That(shown, Does.Contain("loss ").And.Contain(" tok/s").And.Contain("ETA 0:00:").And.Contain("100%"));
        Assert.That(shown, Does.Contain("batch 3/6 check: epoch 1.00").And.Contain("batch 6/6 check: epoch 2.00"), "each check printed above the bar");
    }

    [Test]
    public void TrainWithoutTheDataFolderOrASplitNamesWhatIsMissing()
    {
        using var cli = new CliHarness();
        AssertOneLineError(cli.Run(["translate", "train", "--data", cli.PathOf("nowhere"), .. Tiny, "-o", cli.PathOf("out")]), "no such folder");
        string data = WriteData(cli, "data");
        File.Delete(Path.Combine(data, "val.en"));
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("out")]), "no val file for 'en'");
        Assert.That(Directory.Exists(cli.PathOf("out")), Is.False, "nothing written");
    }

    [Test]
    public void TrainRefusesMisalignedEmptyAndBlankLines()
    {
        using var cli = new CliHarness();
        string data = WriteData(cli, "misaligned", tgt: TargetLines[..11]);
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("out")]), "train.de has 30 lines", "train.en has 11");
        string[] blank = [.. SourceLines];
        blank[4] = "   ";
        data = WriteData(cli, "blank", src: blank, tgt: TargetLines);
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("out")]), "train.de:5: empty line");
        data = WriteData(cli, "empty", src: [], tgt: []);
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("out")]), "train.de", "no sentences");
        data = WriteData(cli, "emptyval", valSrc: [], valTgt: []);
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("out")]), "val.de", "no sentences");
        Assert.That(Directory.Exists(cli.PathOf("out")), Is.False, "nothing written");
    }

    [TestCase("--lr", "NaN", "learning rate")]
    [TestCase("--lr", "0", "learning rate")]
    [TestCase("--epochs", "0", "epochs")]
    [TestCase("--patience", "0", "patience")]
    [TestCase("--max-minutes", "-1", "minutes")]
    [TestCase("--dropout", "1", "dropout")]
    [TestCase("--clip", "NaN", "clip")]
    public void TrainRefusesBadSettingsBeforeWritingAnything(string option, string value, string named)
    {
        using var cli = new CliHarness();
        string data = WriteData(cli, "data");
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, option, value, "-o", cli.PathOf("out")]), named);
        Assert.That(Directory.Exists(cli.PathOf("out")), Is.False, "nothing written");
    }

    [Test]
    public void TrainRefusesAReportPathInAMissingFolderBeforeTraining()
    {
        using var cli = new CliHarness();
        string data = WriteData(cli, "data");
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("out"), "--report", cli.PathOf("no/such/report.json")]), "--report");
        Assert.That(Directory.Exists(cli.PathOf("out")), Is.False, "nothing written");
    }

    /// <summary>Bytes standing for a model an earlier run saved: a refused run must leave them as they are.</summary>
    private static readonly byte[] EarlierModel = "an earlier run's model"u8.ToArray();

    private static IEnumerable<TestCaseData> BadOutputs()
    {
        yield return new TestCaseData("report-folder", "cannot write --report", "it is a folder").SetArgDisplayNames("--report is a folder");
        yield return new TestCaseData("report-missing", "cannot write --report", "does not exist").SetArgDisplayNames("--report in a missing folder");
        yield return new TestCaseData("report-is-model", "--report", "where the run writes its model").SetArgDisplayNames("--report is the model");
        yield return new TestCaseData("loss-folder", "cannot write the loss plot", "it is a folder").SetArgDisplayNames("loss.png is a folder");
        yield return new TestCaseData("model-folder", "cannot write the model", "it is a folder").SetArgDisplayNames("model.safetensors is a folder");
        yield return new TestCaseData("unwritable", "cannot write --report", "not writable").SetArgDisplayNames("--report in a kernel folder");
    }

    [TestCaseSource(nameof(BadOutputs))]
    public void TrainChecksEveryOutputPathBeforeTrainingAndKeepsTheSavedModel(string kind, string what, string why)
    {
        using var cli = new CliHarness();
        string data = WriteData(cli, "data");
        string outDir = cli.PathOf("out");
        Directory.CreateDirectory(outDir);
        string model = Path.Combine(outDir, "model.safetensors");
        string[] report = [];
        switch (kind)
        {
            case "report-folder":
                Directory.CreateDirectory(cli.PathOf("report.json"));
                report = ["--report", cli.PathOf("report.json")];
                break;
            case "report-missing":
                report = ["--report", cli.PathOf(Path.Combine("no", "report.json"))];
                break;
            case "report-is-model":
                report = ["--report", model];
                break;
            case "loss-folder":
                Directory.CreateDirectory(Path.Combine(outDir, "loss.png"));
                break;
            case "model-folder":
                model = Path.Combine(outDir, "earlier.safetensors");
                Directory.CreateDirectory(Path.Combine(outDir, "model.safetensors"));
                break;
            case "unwritable":
                // sysfs refuses new files even to root, where a read-only mode bit would not.
                Assume.That(OperatingSystem.IsLinux() && Directory.Exists("/sys/kernel"), "needs Linux's /sys");
                report = ["--report", "/sys/kernel/report.json"];
                break;
        }
        File.WriteAllBytes(model, EarlierModel);
        var result = cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", outDir, .. report]);
        AssertOneLineError(result, what, why);
        Assert.That(result.Out, Is.Empty, "refused before training started");
        Assert.That(File.ReadAllBytes(model), Is.EqualTo(EarlierModel), "the saved model is kept");
    }

    [Test]
    public void TrainSaysTheOutputFolderMustBeAFolderAndCreatesNothingOnARefusal()
    {
        using var cli = new CliHarness();
        string data = WriteData(cli, "data");
        File.WriteAllBytes(cli.PathOf("afile"), EarlierModel);
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("afile")]), "-o must be a folder");
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf(Path.Combine("afile", "sub"))]), "is a file");
        Assert.That(File.ReadAllBytes(cli.PathOf("afile")), Is.EqualTo(EarlierModel));
        Directory.CreateDirectory(cli.PathOf("report.json"));
        AssertOneLineError(cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", cli.PathOf("new"), "--report", cli.PathOf("report.json")]), "it is a folder");
        Assert.That(Directory.Exists(cli.PathOf("new")), Is.False, "the output folder is created only once every path is known good");
    }

    [Test]
    public void TrainWritesItsReportIntoTheOutputFolderItCreates()
    {
        using var cli = new CliHarness();
        string data = WriteData(cli, "data");
        string outDir = cli.PathOf(Path.Combine("runs", "one"));
        var (exit, _, err) = cli.Run(["translate", "train", "--data", data, .. Tiny, "-o", outDir, "--report", Path.Combine(outDir, "report.json")]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(File.Exists(Path.Combine(outDir, "report.json")) && File.Exists(Path.Combine(outDir, "model.safetensors")));
    }

    // ---- model files that are not translation models, for both commands that read one

    private static IEnumerable<TestCaseData> BadModels()
    {
        foreach (var command in new[] { "eval", "run" })
        {
            yield return new TestCaseData(command, "missing", "no such model file").SetArgDisplayNames(command, "missing");
            yield return new TestCaseData(command, "random", "not a safetensors file").SetArgDisplayNames(command, "random bytes");
            yield return new TestCaseData(command, "forecast", "not a translation model").SetArgDisplayNames(command, "forecast model");
            yield return new TestCaseData(command, "truncated", "(truncated file?)").SetArgDisplayNames(command, "truncated");
            yield return new TestCaseData(command, "badsettings", "settings").SetArgDisplayNames(command, "bad settings");
            yield return new TestCaseData(command, "nosettings", "settings").SetArgDisplayNames(command, "no settings");
            yield return new TestCaseData(command, "badvocabulary", "vocabulary").SetArgDisplayNames(command, "bad vocabulary");
            yield return new TestCaseData(command, "shape", "tensor").SetArgDisplayNames(command, "wrong tensor size");
        }
    }

    private string BadModel(CliHarness cli, string kind)
    {
        string path = cli.PathOf(kind + ".safetensors");
        var good = SafetensorsReader.Read(_model);
        var tensors = good.Names.Select(n => new KeyValuePair<string, NdArray>(n, good.Read(n))).ToList();
        Dictionary<string, string> Meta(string key, string? value)
        {
            var m = new Dictionary<string, string>(good.Metadata);
            if (value is null)
                m.Remove(key);
            else
                m[key] = value;
            return m;
        }
        switch (kind)
        {
            case "missing":
                break;
            case "random":
                File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);
                break;
            case "forecast":
                // what 'lstmnative forecast' writes: LSTM and head tensors, no translation metadata
                SafetensorsWriter.Write(path, [new("lstm.weight_ih_l0", NdArray.FromFloats(new float[32], 16, 2)), new("head.weight", NdArray.FromFloats(new float[4], 1, 4))],
                    new Dictionary<string, string> { ["lstmnative.format"] = "forecast-v1" });
                break;
            case "truncated":
                var bytes = File.ReadAllBytes(_model);
                File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
                break;
            case "badsettings":
                SafetensorsWriter.Write(path, tensors, Meta("settings", "{\"HiddenSize\": -3}"));
                break;
            case "nosettings":
                SafetensorsWriter.Write(path, tensors, Meta("settings", null));
                break;
            case "badvocabulary":
                SafetensorsWriter.Write(path, tensors, Meta("target_vocabulary", "a\nb"));
                break;
            case "shape":
                tensors[0] = new(tensors[0].Key, NdArray.FromFloats([1f, 2f], 2));
                SafetensorsWriter.Write(path, tensors, good.Metadata);
                break;
        }
        return path;
    }

    [TestCaseSource(nameof(BadModels))]
    public void AModelFileThatIsNotATranslationModelIsOneLine(string command, string kind, string named)
    {
        using var cli = new CliHarness();
        string model = BadModel(cli, kind);
        string src = cli.PathOf("src.de"), refs = cli.PathOf("ref.en");
        File.WriteAllLines(src, SourceLines[..2]);
        File.WriteAllLines(refs, TargetLines[..2]);
        var result = command == "eval"
            ? cli.Run(["translate", "eval", "-m", model, "--source", src, "--reference", refs])
            : cli.Run(["translate", "run", "-m", model, "--input", src]);
        AssertOneLineError(result, named);
        Assert.That(result.Out, Is.Empty);
        if (kind == "truncated")
            Assert.That(result.Err, Does.Contain("truncated file?").And.Not.Contain(model + ": " + model), "says what was found, naming the file once");
    }

    // ---- eval

    [Test]
    public void EvalNamesMissingFilesAndMisalignedLineCounts()
    {
        using var cli = new CliHarness();
        string src = cli.PathOf("src.de"), refs = cli.PathOf("ref.en");
        File.WriteAllLines(src, SourceLines[..3]);
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs]), "no such file", "ref.en");
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", cli.PathOf("none.de"), "--reference", src]), "no such file", "none.de");
        File.WriteAllLines(refs, TargetLines[..4]);
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs]), "has 3 lines", "has 4");
        File.WriteAllLines(refs, TargetLines[..3]);
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--beam", "0"]), "beam");
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--length-penalty", "NaN"]), "penalt");
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--batch-size", "0"]), "--batch-size");
        File.WriteAllText(src, "");
        File.WriteAllText(refs, "");
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs]), "no sentences");
    }

    private static string Words(int count) => string.Join(' ', Enumerable.Repeat("hund", count));

    [Test]
    public void EvalRefusesAnOverlongSentenceAndAnOverwideBeamBeforeDecoding()
    {
        using var cli = new CliHarness();
        string src = cli.PathOf("src.de"), refs = cli.PathOf("ref.en");
        File.WriteAllLines(src, ["ein hund läuft", "", Words(Translator.MaxSourceTokens + 1)]);
        File.WriteAllLines(refs, ["a dog runs", "", "a dog"]);
        var result = cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs]);
        AssertOneLineError(result, $"src.de:3: {Translator.MaxSourceTokens + 1} tokens, over the limit of {Translator.MaxSourceTokens}");
        Assert.That(result.Out, Is.Empty);

        File.WriteAllLines(src, ["ein hund läuft", Words(Translator.MaxSourceTokens)]);
        File.WriteAllLines(refs, ["a dog runs", "a dog"]);
        int words = Translator.Load(_model).Target.Count;
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--beam", $"{words + 1}"]),
            $"beam size {words + 1} is larger than the target vocabulary ({words} words)");
        var (exit, stdout, err) = cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--beam", "1"]);
        Assert.That(exit, Is.Zero, "a sentence at the limit is translated: " + err);
        Assert.That(stdout, Does.Contain("2 sentences in"));
    }

    [Test]
    public void EvalChecksItsOutputPathsBeforeDecoding()
    {
        using var cli = new CliHarness();
        string src = cli.PathOf("src.de"), refs = cli.PathOf("ref.en");
        File.WriteAllLines(src, SourceLines[..2]);
        File.WriteAllLines(refs, TargetLines[..2]);
        Directory.CreateDirectory(cli.PathOf("hyp.en"));
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--output", cli.PathOf("hyp.en")]), "--output", "it is a folder");
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--output", src]), "--output", "is the --source file");
        Assert.That(File.ReadAllLines(src), Is.EqualTo(SourceLines[..2]));
        Directory.CreateDirectory(cli.PathOf("maps"));
        Directory.CreateDirectory(cli.PathOf(Path.Combine("maps", "attention-2.png")));
        AssertOneLineError(cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--output", cli.PathOf(Path.Combine("maps", "hyp.en")), "--attention-maps", "2"]),
            "attention map", "attention-2.png", "it is a folder");
        Assert.That(File.Exists(cli.PathOf(Path.Combine("maps", "attention-1.png"))), Is.False, "nothing drawn before the refusal");
    }

    [Test]
    public void EvalTranslatesAnEmptyLineToAnEmptyLineAndUnknownWordsAsUnk()
    {
        using var cli = new CliHarness();
        string src = cli.PathOf("src.de"), refs = cli.PathOf("ref.en"), output = cli.PathOf("hyp.en");
        File.WriteAllLines(src, ["ein hund läuft", "", "quux zorbel blixt", "eine katze schläft"]);
        File.WriteAllLines(refs, ["a dog runs", "", "something unknown", "a cat sleeps"]);
        foreach (var beam in new[] { "1", "3" })
        {
            var (exit, stdout, err) = cli.Run(["translate", "eval", "-m", _model, "--source", src, "--reference", refs, "--beam", beam, "--output", output]);
            Assert.That(exit, Is.Zero, err);
            Assert.That(err, Is.Empty);
            Assert.That(stdout, Does.StartWith("BLEU = "));
            Assert.That(stdout, Does.Contain("4 sentences in"));
            var hyps = File.ReadAllLines(output);
            Assert.That(hyps, Has.Length.EqualTo(4), "one output line per input line");
            Assert.That(hyps[1], Is.Empty, "an empty source gives an empty translation");
        }
        var translator = Translator.Load(_model);
        Assert.That(translator.Translate("quux hund zorbel").SourceWords, Is.EqualTo(new[] { "<unk>", "hund", "<unk>" }));
        Assert.That(translator.Translate("").Text, Is.Empty);
    }

    // ---- run

    [Test]
    public void RunGivesOneLinePerInputLineWithEmptyAndUnknownLines()
    {
        using var cli = new CliHarness();
        string input = cli.PathOf("in.de");
        File.WriteAllLines(input, ["ein hund läuft", "", "   ", "quux zorbel", "EINE KATZE", "eine\tkatze schläft"]);
        foreach (var extra in new[] { Array.Empty<string>(), ["--beam", "1"], ["--n-best", "2"] })
        {
            var (exit, stdout, err) = cli.Run(["translate", "run", "-m", _model, "--input", input, .. extra]);
            Assert.That(exit, Is.Zero, err);
            Assert.That(err, Is.Empty);
            var lines = stdout.Split('\n')[..^1];
            Assert.That(lines, Has.Length.EqualTo(6), stdout);
            Assert.That(lines[1], Is.Empty);
            Assert.That(lines[2], Is.Empty);
            if (extra.Contains("--n-best"))
                Assert.That(lines[0].Split('\t'), Has.Length.EqualTo(2).And.All.Contain(" ||| "));
        }
    }

    [Test]
    public void RunRefusesAnOverlongLineNamingItAndAnOverwideBeam()
    {
        using var cli = new CliHarness();
        string input = cli.PathOf("in.de");
        File.WriteAllLines(input, ["ein hund läuft", Words(Translator.MaxSourceTokens + 1), "eine katze"]);
        var result = cli.Run(["translate", "run", "-m", _model, "--input", input, "--beam", "1"]);
        AssertOneLineError(result, $"in.de:2: {Translator.MaxSourceTokens + 1} tokens, over the limit of {Translator.MaxSourceTokens}");
        Assert.That(result.Out.Count(c => c == '\n'), Is.EqualTo(1), "the line before it was translated");
        int words = Translator.Load(_model).Target.Count;
        result = cli.Run(["translate", "run", "-m", _model, "--input", input, "--beam", $"{words + 1}"]);
        AssertOneLineError(result, "larger than the target vocabulary");
        Assert.That(result.Out, Is.Empty, "refused before the first line");
    }

    [Test]
    public void RunNamesAMissingInputAndBadDecodeOptions()
    {
        using var cli = new CliHarness();
        AssertOneLineError(cli.Run(["translate", "run", "-m", _model, "--input", cli.PathOf("none.de")]), "no such file", "none.de");
        File.WriteAllText(cli.PathOf("in.de"), "ein hund\n");
        AssertOneLineError(cli.Run(["translate", "run", "-m", _model, "--input", cli.PathOf("in.de"), "--beam", "2", "--n-best", "3"]), "n-best");
    }
}
