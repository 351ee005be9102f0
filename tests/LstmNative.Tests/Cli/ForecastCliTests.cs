using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace LstmNative.Tests.Cli;

/// <summary><c>lstmnative forecast</c>: a tiny end-to-end run, and bad input reported in one line with a non-zero exit and no files.</summary>
public class ForecastCliTests
{
    // Small and fast: a short window, a tiny network, one epoch over a few windows.
    private static readonly string[] Tiny = ["--window", "24", "--horizon", "6", "--hidden", "4", "--epochs", "1", "--windows-per-epoch", "64"];

    private static string WriteCsv(CliHarness cli, int rows, Func<int, string>? cell = null, string header = "date,load,temp")
    {
        var sb = new StringBuilder(header + "\n");
        for (int r = 1; r <= rows; r++)
        {
            string load = cell?.Invoke(r) ?? (100 + 10 * Math.Sin(r * 2 * Math.PI / 24)).ToString("F3", CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture, $"2020-01-01 {r % 24:00}:00:00,{load},{r % 7}\n");
        }
        string path = cli.PathOf("data.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Test]
    public void TinyRunOnACsvWritesTheReportModelAndPlots()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        var (exit, stdout, err) = cli.Run(["forecast", "--csv", csv, "--target", "load", "--features", "all", .. Tiny,
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("persistence").And.Contain("linear AR").And.Contain("MSE"));
        foreach (var name in new[] { "model.safetensors", "forecast.png", "loss.png", "gradient_flow.png", "cell_state.png", "gradient_norms.csv" })
            Assert.That(File.Exists(cli.PathOf(Path.Combine("out", name))), name);
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        Assert.That(report.RootElement.GetProperty("data").GetProperty("inputs").EnumerateArray().Select(e => e.GetString()),
            Is.EqualTo(new[] { "load", "temp" }), "the date column is skipped");
        Assert.That(report.RootElement.GetProperty("results").GetArrayLength(), Is.EqualTo(6), "LSTM, persistence, seasonal naive, AR by least squares, ridge AR, DLinear");
    }

    private static void AssertOneLineError(CliHarness cli, (int Exit, string Out, string Err) result, params string[] fragments)
    {
        Assert.That(result.Exit, Is.Not.Zero);
        string line = result.Err.TrimEnd('\n');
        Assert.That(line, Does.Not.Contain('\n'), "one line");
        Assert.That(line, Does.StartWith("lstmnative: error: "));
        foreach (var f in fragments)
            Assert.That(line, Does.Contain(f));
        Assert.That(Directory.Exists(cli.PathOf("out")), Is.False, "nothing written");
    }

    [Test]
    public void MissingColumnIsNamed()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 100);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "price", .. Tiny, "-o", cli.PathOf("out")]), "'price'", "no such column");
    }

    [Test]
    public void NonNumericCellIsLocated()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 100, r => r == 37 ? "n/a" : "5");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "-o", cli.PathOf("out")]), "row 37", "'load'", "not a number");
    }

    [Test]
    public void NaNIsLocated()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 100, r => r == 12 ? "NaN" : "5");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "-o", cli.PathOf("out")]), "row 12", "'load'", "NaN");
    }

    [Test]
    public void TooFewRowsForTheWindow()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 30);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "-o", cli.PathOf("out")]), "30 rows", "window");
    }

    [Test]
    public void UnwritableOutputFolder()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 300);
        File.WriteAllText(cli.PathOf("blocker"), "");
        var result = cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "-o", Path.Combine(cli.PathOf("blocker"), "out")]);
        AssertOneLineError(cli, result, "output folder");
    }

    [Test]
    public void CsvWithoutTargetAndBadPatchAreRefused()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 300);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, .. Tiny]), "--target");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--patch", "5", "-o", cli.PathOf("out")]), "multiple of --patch 5");
    }

    [Test]
    public void TargetsAllForecastsEveryColumnWithoutATarget()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--targets", "all", "--features", "target", .. Tiny, "-o", cli.PathOf("out")]),
            "--targets all", "--features target");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--targets", "all", "--quantiles", "0.1,0.9", .. Tiny, "-o", cli.PathOf("out")]),
            "--quantiles", "--targets all");
        var (exit, stdout, err) = cli.Run(["forecast", "--csv", csv, "--targets", "all", "--baselines", "naive", .. Tiny,
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("all 2 columns in and out, channel-independent (load, temp)"));
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        var data = report.RootElement.GetProperty("data");
        Assert.That(data.GetProperty("inputs").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "load", "temp" }));
        Assert.That(data.GetProperty("rows").GetInt32(), Is.EqualTo(400));
        var results = report.RootElement.GetProperty("results");
        Assert.That(results.EnumerateArray().Select(r => r.GetProperty("name").GetString()), Is.EqualTo(new[] { "LSTM", "persistence", "seasonal naive (24)" }));
        // Both columns' test windows are scored: twice one column's 80 − 6 + 1 (chronological split, 280/40/80 rows).
        Assert.That(data.GetProperty("scoredTestWindows").GetInt32(), Is.EqualTo(2 * 75));
        Assert.That(results[0].GetProperty("windows").GetInt32(), Is.EqualTo(2 * 75));
    }

    [Test]
    public void BacktestProtocolScoresTheValidationPeriodAndRefusesShortDataInOneLine()
    {
        using var cli = new CliHarness();
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", WriteCsv(cli, 11000), "--target", "load", "--protocol", "ett-long-backtest", .. Tiny,
            "-o", cli.PathOf("out")]), "ett-long-backtest", "11520");
        string csv = WriteCsv(cli, 14400);
        var (exit, _, err) = cli.Run(["forecast", "--csv", csv, "--target", "load", "--protocol", "ett-long-backtest", "--baselines", "naive", .. Tiny,
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        var data = report.RootElement.GetProperty("data");
        Assert.That(data.GetProperty("protocol").GetString(), Is.EqualTo("ett-long-backtest"));
        // Train rows 0–5759: 5760 − 24 − 6 + 1 windows; the test period 8640–11519 scored in groups of 128: floor(2875/128)·128.
        Assert.That(data.GetProperty("trainWindows").GetInt32(), Is.EqualTo(5731));
        Assert.That(data.GetProperty("scoredTestWindows").GetInt32(), Is.EqualTo(2816));
    }

    [Test]
    public void TrainColumnsAllTrainsOneTargetOnEveryColumnsWindows()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--targets", "all", "--train-columns", "all", .. Tiny, "-o", cli.PathOf("out")]),
            "--targets all", "--train-columns all");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", "--features", "all", "--train-columns", "all", .. Tiny,
            "-o", cli.PathOf("out")]), "--train-columns all", "--features target");
        AssertOneLineError(cli, cli.Run(["forecast", "--train-columns", "all", .. Tiny, "-o", cli.PathOf("out")]), "--features target");
        string oneColumn = cli.PathOf("one.csv");
        File.WriteAllLines(oneColumn, File.ReadAllLines(csv).Select(l => string.Join(',', l.Split(',')[..2])));
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", oneColumn, "--target", "load", "--train-columns", "all", .. Tiny, "-o", cli.PathOf("out")]),
            "--train-columns all", "one numeric column");
        var (exit, stdout, err) = cli.Run(["forecast", "--csv", csv, "--target", "load", "--train-columns", "all", "--baselines", "naive", .. Tiny,
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        // Spectre wraps the line at the console's width.
        Assert.That(stdout.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal),
            Does.Contain("inputs load, target load, trained on the windows of all 2 columns (load, temp)"));
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        var data = report.RootElement.GetProperty("data");
        Assert.That(data.GetProperty("inputs").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "load" }));
        Assert.That(data.GetProperty("rows").GetInt32(), Is.EqualTo(400));
        // Twice one column's 280 − 24 − 6 + 1 training windows; the target's 75 test windows only, scored with WAPE (its units).
        Assert.That(data.GetProperty("trainWindows").GetInt32(), Is.EqualTo(2 * 251));
        Assert.That(data.GetProperty("scoredTestWindows").GetInt32(), Is.EqualTo(75));
        Assert.That(report.RootElement.GetProperty("results")[0].GetProperty("wape").ValueKind, Is.EqualTo(JsonValueKind.Number));
    }

    [Test]
    public void QuantilesReportTheBandAndBadLevelsAreOneLine()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--quantiles", "0.1,1.5", "-o", cli.PathOf("out")]),
            "--quantiles", "between 0 and 1");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--quantiles", "0.1,0.9", "--device", "cuda",
            "-o", cli.PathOf("out")]), "--quantiles", "CPU only");
        var (exit, stdout, err) = cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--quantiles", "0.1,0.9",
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("80 % interval").And.Contain("heads + CQR").And.Contain("share of actual values below each head"));
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        Assert.That(report.RootElement.GetProperty("intervals").GetArrayLength(), Is.EqualTo(2));
        Assert.That(report.RootElement.GetProperty("settings").GetProperty("model").GetProperty("quantiles").EnumerateArray().Select(e => e.GetDouble()),
            Is.EqualTo(new[] { 0.1, 0.5, 0.9 }));
    }

    [Test]
    public void InstanceScaleTrainsOnTheCpuAndIsRecordedInTheReportAndCheckpoint()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--instance-scale", "--device", "cuda",
            "-o", cli.PathOf("out")]), "--instance-scale", "CPU only");
        var (exit, stdout, err) = cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--instance-scale",
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("instance scale on"));
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        Assert.That(report.RootElement.GetProperty("settings").GetProperty("model").GetProperty("instanceScale").GetBoolean(), Is.True);
        var model = LstmNative.Forecasting.ForecasterCheckpoint.Load(cli.PathOf(Path.Combine("out", "model.safetensors")));
        Assert.That(model.Shape.InstanceScale, Is.True, "the checkpoint's shape carries the scaling, so a reloaded model forecasts the same way");
    }

    [Test]
    public void RidgeHighwayIsFittedReportedAndItsMisuseRefusedInOneLine()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--highway", "false", "--highway-init", "ridge",
            "-o", cli.PathOf("out")]), "need the highway");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--freeze-highway", "--device", "cuda",
            "-o", cli.PathOf("out")]), "--freeze-highway", "CPU only");
        var (exit, stdout, err) = cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--highway-init", "ridge", "--freeze-highway",
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("fitted by ridge, frozen").And.Contain("before the first epoch"));
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        var root = report.RootElement;
        Assert.That(root.GetProperty("settings").GetProperty("training").GetProperty("highwayInit").GetString(), Is.EqualTo("ridge"));
        Assert.That(root.GetProperty("highway").GetProperty("validationMse").GetDouble(), Is.EqualTo(root.GetProperty("initialValidationLoss").GetDouble()).Within(1e-3));
        Assert.That(root.GetProperty("highway").TryGetProperty("weight", out _), Is.False, "the weights stay out of the report");
        Assert.That(root.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()),
            Has.Some.StartsWith("fitted highway alone (ridge "), "the linear model the LSTM started from is scored beside it");
    }

    [Test]
    public void OneSeEpochChoiceNeedsTheFittedHighwayAndIsReported()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--epoch-choice", "one-se", "-o", cli.PathOf("out")]),
            "--epoch-choice one-se", "--highway-init ridge");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--epoch-choice", "one-se", "--highway-init", "ridge",
            "--quantiles", "0.1,0.9", "-o", cli.PathOf("out")]), "--epoch-choice one-se", "--quantiles");
        var (exit, _, err) = cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--highway-init", "ridge", "--epoch-choice", "one-se",
            "--output-dir", cli.PathOf("out"), "--report", cli.PathOf("report.json")]);
        Assert.That(exit, Is.Zero, err);
        using var report = JsonDocument.Parse(File.ReadAllText(cli.PathOf("report.json")));
        var root = report.RootElement;
        Assert.That(root.GetProperty("settings").GetProperty("training").GetProperty("epochChoice").GetString(), Is.EqualTo("one-se"));
        // The rule runs only when a trained epoch beat the fit; either way the report says which model was kept.
        var check = root.GetProperty("epochChoice");
        if (check.ValueKind != JsonValueKind.Null)
            Assert.That(root.GetProperty("bestEpoch").GetInt32(), Is.EqualTo(check.GetProperty("keptFit").GetBoolean() ? 0 : check.GetProperty("trainedEpoch").GetInt32()));
    }

    [Test]
    public void CudaWithoutAGpuIsOneLineNamingTheReason()
    {
        if (LstmNative.Cuda.GpuRuntime.Current.IsAvailable)
            Assert.Ignore("a usable GPU is present: forecast --device cuda trains on it (the GPU tests check that trainer)");
        using var cli = new CliHarness();
        AssertOneLineError(cli, cli.Run(["forecast", "--device", "cuda", .. Tiny, "-o", cli.PathOf("out")]), "--device cuda: no usable GPU");
        Assert.That(Directory.Exists(cli.PathOf("out")), Is.False, "nothing is created before the device is settled");
    }

    [Test]
    public void PredictForecastsTheRowsAfterTheCsvWithTheSavedModel()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        var run = cli.Run(["forecast", "--csv", csv, "--target", "load", "--features", "all", .. Tiny, "--baselines", "naive", "-o", cli.PathOf("out")]);
        Assert.That(run.Exit, Is.Zero, run.Err);
        string model = cli.PathOf(Path.Combine("out", "model.safetensors")), output = cli.PathOf("next.csv");
        var (exit, stdout, err) = cli.Run("predict", "--model", model, "--csv", csv, "-o", output);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("forecast load for the 6 rows after the last").And.Contain("wrote"));
        var lines = File.ReadAllLines(output);
        Assert.That(lines[0], Is.EqualTo("lead,time,load"));
        Assert.That(lines.Skip(1).Select(l => int.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)), Is.EqualTo(Enumerable.Range(1, 6)));
        // The CSV's last row is 2020-01-01 16:00 (row 400, hour 400 % 24) after 15:00: the step is an hour.
        Assert.That(lines.Skip(1).Select(l => l.Split(',')[1]), Is.EqualTo(Enumerable.Range(17, 6).Select(h => $"2020-01-01 {h}:00:00")));
        foreach (string line in lines.Skip(1))
        {
            double v = double.Parse(line.Split(',')[2], CultureInfo.InvariantCulture);
            Assert.That(v, Is.InRange(80.0, 120.0), "in the data's units (the series swings 90-110)");
        }
        // The same call again gives the same file (nothing random at forecast time).
        string first = File.ReadAllText(output);
        Assert.That(cli.Run("predict", "--model", model, "--csv", csv, "-o", output).Exit, Is.Zero);
        Assert.That(File.ReadAllText(output), Is.EqualTo(first));
    }

    [Test]
    public void PredictWithSeveralModelsWritesTheMeanOfTheirForecasts()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        // Two members of different look-backs and seeds; a third with quantile heads, which cannot join them.
        string[] common = ["forecast", "--csv", csv, "--target", "load", "--features", "all", "--horizon", "6", "--hidden", "4", "--epochs", "1",
            "--windows-per-epoch", "64", "--baselines", "naive"];
        Assert.That(cli.Run([.. common, "--window", "24", "--seed", "1", "-o", cli.PathOf("a")]).Exit, Is.Zero);
        Assert.That(cli.Run([.. common, "--window", "48", "--seed", "2", "-o", cli.PathOf("b")]).Exit, Is.Zero);
        Assert.That(cli.Run([.. common, "--window", "24", "--quantiles", "0.1,0.9", "-o", cli.PathOf("q")]).Exit, Is.Zero);
        string Model(string run) => cli.PathOf(Path.Combine(run, "model.safetensors"));
        double[] Forecast(string output) => File.ReadAllLines(output).Skip(1)
            .Select(l => double.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)).ToArray();

        Assert.That(cli.Run("predict", "-m", Model("a"), "--csv", csv, "-o", cli.PathOf("a.csv")).Exit, Is.Zero);
        Assert.That(cli.Run("predict", "-m", Model("b"), "--csv", csv, "-o", cli.PathOf("b.csv")).Exit, Is.Zero);
        var (exit, stdout, err) = cli.Run("predict", "-m", Model("a"), "-m", Model("b"), "--csv", csv, "-o", cli.PathOf("ab.csv"));
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain("the mean of 2 models' forecasts, from its last 24 / 48 rows"));
        double[] a = Forecast(cli.PathOf("a.csv")), b = Forecast(cli.PathOf("b.csv")), ab = Forecast(cli.PathOf("ab.csv"));
        Assert.That(a, Is.Not.EqualTo(b));
        for (int i = 0; i < ab.Length; i++)
            Assert.That(ab[i], Is.EqualTo((a[i] + b[i]) / 2).Within(1e-9 * Math.Abs(a[i])));

        AssertOneLineError(cli, cli.Run("predict", "-m", Model("a"), "-m", Model("q"), "--csv", csv, "-o", cli.PathOf("aq.csv")),
            "cannot form a committee", "quantile levels");
        AssertOneLineError(cli, cli.Run("predict", "-m", Model("a"), "-m", cli.PathOf("none.safetensors"), "--csv", csv, "-o", cli.PathOf("aq.csv")), "no model at");
        Assert.That(File.Exists(cli.PathOf("aq.csv")), Is.False, "no forecast file from a failed call");
    }

    [Test]
    public void PredictRefusesWhatItCannotUseInOneLine()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        AssertOneLineError(cli, cli.Run("predict", "--model", cli.PathOf("none.safetensors"), "--csv", csv), "no model at", "run 'lstmnative forecast' first");
        Assert.That(cli.Run(["forecast", "--csv", csv, "--target", "load", "--features", "all", .. Tiny, "--baselines", "naive", "-o", cli.PathOf("model")]).Exit, Is.Zero);
        string model = cli.PathOf(Path.Combine("model", "model.safetensors"));
        long size = new FileInfo(model).Length;
        AssertOneLineError(cli, cli.Run("predict", "--model", model, "--csv", csv, "-o", model), "would destroy it");
        Assert.That(new FileInfo(model).Length, Is.EqualTo(size), "the model is untouched");
        string shortCsv = cli.PathOf("short.csv");
        File.WriteAllLines(shortCsv, File.ReadAllLines(csv).Take(11));
        AssertOneLineError(cli, cli.Run("predict", "--model", model, "--csv", shortCsv, "-o", cli.PathOf("p.csv")), "10 rows", "last 24");
        string other = WriteCsv(cli, 400, header: "date,load,humidity"); // replaces data.csv
        AssertOneLineError(cli, cli.Run("predict", "--model", model, "--csv", other, "-o", cli.PathOf("p.csv")), "'temp'");
        AssertOneLineError(cli, cli.Run("predict", "--model", csv, "--csv", csv, "-o", cli.PathOf("p.csv")));
        Assert.That(File.Exists(cli.PathOf("p.csv")), Is.False, "no forecast file from a failed call");
    }

    [Test]
    public void ForecastAndPredictRefuseAColumnNamedTwiceARowOfTheWrongLengthAndAFolder()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        Assert.That(cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--baselines", "naive", "-o", cli.PathOf("model")]).Exit, Is.Zero);
        string model = cli.PathOf(Path.Combine("model", "model.safetensors"));
        var lines = File.ReadAllLines(csv);

        // "temp" renamed "load": the first "load" would be read, the wrong data.
        string twice = cli.PathOf("twice.csv");
        File.WriteAllLines(twice, ["date,load,load", .. lines.Skip(1)]);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", twice, "--target", "load", .. Tiny, "-o", cli.PathOf("out")]), "'load'", "columns 2 and 3");
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", twice, "--targets", "all", .. Tiny, "-o", cli.PathOf("out")]), "'load'", "columns 2 and 3");
        AssertOneLineError(cli, cli.Run("predict", "--model", model, "--csv", twice, "-o", cli.PathOf("p.csv")), "'load'", "columns 2 and 3");

        string extra = cli.PathOf("extra.csv");
        File.WriteAllLines(extra, [.. lines[..200], lines[200] + ",7", .. lines[201..]]);
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", extra, "--target", "load", .. Tiny, "-o", cli.PathOf("out")]),
            "line 201", "the row has 4 fields, the header 3");
        AssertOneLineError(cli, cli.Run("predict", "--model", model, "--csv", extra, "-o", cli.PathOf("p.csv")), "line 201", "the row has 4 fields");

        string folder = Directory.CreateDirectory(cli.PathOf("folder.csv")).FullName;
        AssertOneLineError(cli, cli.Run(["forecast", "--csv", folder, "--target", "load", .. Tiny, "-o", cli.PathOf("out")]), "is a folder, not a CSV file");
        AssertOneLineError(cli, cli.Run("predict", "--model", model, "--csv", folder, "-o", cli.PathOf("p.csv")), "is a folder, not a CSV file");
        Assert.That(File.Exists(cli.PathOf("p.csv")), Is.False, "no forecast file from a failed call");
    }

    [Test]
    public void PredictSaysAModelOfAnotherFormatIsNotASafetensorsFile()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        // The openings of an ONNX model (a protobuf) and of an .npy array: read as a header length, absurd numbers.
        byte[] onnx = [0x08, 0x08, 0x12, 0x0a, .. "LstmNative:"u8, 0xb9, 0x08, 0x0a, .. new byte[64]];
        byte[] npy = [0x93, .. "NUMPY"u8, 1, 0, 0x76, 0, .. "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"u8];
        // A small, plausible length whose header is no JSON object.
        byte[] text = [16, 0, 0, 0, 0, 0, 0, 0, .. "lead,load\n1,2.5\n3,4\n"u8];
        foreach (var (name, bytes) in new[] { ("model.onnx", onnx), ("x.npy", npy), ("text.safetensors", text) })
        {
            File.WriteAllBytes(cli.PathOf(name), bytes);
            var result = cli.Run("predict", "--model", cli.PathOf(name), "--csv", csv, "-o", cli.PathOf("p.csv"));
            AssertOneLineError(cli, result, $"{name}: not a safetensors file");
            Assert.That(result.Err, Does.Not.Contain("limit"), name);
        }
        Assert.That(File.Exists(cli.PathOf("p.csv")), Is.False, "no forecast file from a failed call");
    }

    [Test]
    public void ARunThatFailsAfterTrainingLeavesNoPartialCheckpointAndKeepsTheSavedModel()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        string[] run = ["forecast", "--csv", csv, "--target", "load", .. Tiny, "--baselines", "naive", "-o", cli.PathOf("out")];
        Assert.That(cli.Run(run).Exit, Is.Zero);
        string model = cli.PathOf(Path.Combine("out", "model.safetensors"));
        byte[] saved = File.ReadAllBytes(model);
        // A folder where the run writes loss.png: found only when the files are written, after training.
        string loss = cli.PathOf(Path.Combine("out", "loss.png"));
        File.Delete(loss);
        Directory.CreateDirectory(loss);
        var (exit, _, err) = cli.Run(run);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(err.TrimEnd('\n'), Does.Not.Contain('\n').And.Contain("loss.png"));
        Assert.That(File.Exists(cli.PathOf(Path.Combine("out", "model.partial.safetensors"))), Is.False, "the run's partial checkpoint is removed");
        Assert.That(File.ReadAllBytes(model), Is.EqualTo(saved), "the saved model is kept");
        Assert.That(Directory.GetFiles(cli.PathOf("out"), ".*"), Is.Empty, "no temporary files");
    }

    [Test]
    public void WithoutThePlotsNativeLibraryForecastAndTranslateTrainStopBeforeTrainingNamingIt()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("the CLI's copy leaves out the Linux build of SkiaSharp's native library");
        using var cli = new CliHarness();
        string program = CliWithout(cli.PathOf("bin"), "libSkiaSharp.so");
        string data = Directory.CreateDirectory(cli.PathOf("data")).FullName;
        foreach (var (name, text) in new[] { ("train.de", "ein haus\nein hund\n"), ("train.en", "a house\na dog\n"), ("val.de", "ein haus\n"), ("val.en", "a house\n") })
            File.WriteAllText(Path.Combine(data, name), text);
        string[][] runs =
        [
            ["forecast", "--epochs", "1", "--windows-per-epoch", "64", "--hidden", "8", "-o", cli.PathOf("fc")],
            ["translate", "train", "--data", data, "--embedding", "6", "--hidden", "6", "--epochs", "1", "--min-count", "1", "-o", cli.PathOf("tr")],
        ];
        foreach (string[] run in runs)
        {
            var (exit, err) = RunProcess(program, run);
            Assert.That(exit, Is.EqualTo(1), err);
            string line = err.TrimEnd('\n');
            Assert.That(line, Does.Not.Contain('\n'), run[0]);
            Assert.That(line, Does.StartWith("lstmnative: error: cannot draw the plots: Unable to load shared library 'libSkiaSharp'")
                .And.Contain("libSkiaSharp.so: cannot open shared object file").And.Contain("restore SkiaSharp's native library"), run[0]);
        }
        Assert.That(Directory.Exists(cli.PathOf("fc")), Is.False, "forecast stopped before training, without creating its folder");
        Assert.That(Directory.Exists(cli.PathOf("tr")), Is.False, "translate train stopped before training, without writing a model");
    }

    // A copy of the CLI without one native library. The program's own files are copied (the host runs the app from
    // its real path, so a linked lstmnative.dll would load the libraries beside the original); the rest (~400 MB,
    // most of it other platforms' native libraries) is linked.
    private static string CliWithout(string folder, string library)
    {
        string source = AppContext.BaseDirectory;
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(file);
            if (name == library)
                continue;
            string target = Path.Combine(folder, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (name.StartsWith("lstmnative.", StringComparison.Ordinal))
                File.Copy(file, target);
            else
                File.CreateSymbolicLink(target, file);
        }
        return Path.Combine(folder, "lstmnative.dll");
    }

    private static (int Exit, string Err) RunProcess(string program, string[] args)
    {
        // The dotnet host beside the running runtime (<root>/shared/Microsoft.NETCore.App/<version>/).
        string host = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        var start = new ProcessStartInfo(File.Exists(host) ? host : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "exec", program }.Concat(args))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"lstmnative {string.Join(' ', args)} did not finish in two minutes");
        }
        process.WaitForExit();
        _ = stdout.Result;
        return (process.ExitCode, stderr.Result);
    }

    [Test]
    public void InitFromStartsANewRunFromASavedModel()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        string[] run = ["forecast", "--csv", csv, "--target", "load", "--features", "all", .. Tiny, "--baselines", "naive"];
        Assert.That(cli.Run([.. run, "-o", cli.PathOf("first")]).Exit, Is.Zero);
        string saved = cli.PathOf(Path.Combine("first", "model.safetensors"));
        var (exit, stdout, err) = cli.Run([.. run, "--init-from", saved, "-o", cli.PathOf("second")]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(stdout, Does.Contain($"started from {saved}: validation loss"));
        AssertOneLineError(cli, cli.Run([.. run, "--init-from", saved, "--highway-init", "ridge", "-o", cli.PathOf("out")]), "--init-from", "ridge");
        AssertOneLineError(cli, cli.Run([.. run, "--init-from", cli.PathOf("none.safetensors"), "-o", cli.PathOf("out")]), "no model at");
        AssertOneLineError(cli, cli.Run([.. run, "--layers", "1", "--init-from", saved, "-o", cli.PathOf("out")]), "2 layer(s)", "1 layer(s)");
    }

    [Test]
    public void PredictWritesAQuantileModelsBandAndItsConformalizedEdges()
    {
        using var cli = new CliHarness();
        string csv = WriteCsv(cli, 400);
        Assert.That(cli.Run(["forecast", "--csv", csv, "--target", "load", .. Tiny, "--baselines", "naive", "--quantiles", "0.1,0.9", "-o", cli.PathOf("q")]).Exit, Is.Zero);
        string output = cli.PathOf("next.csv");
        var (exit, _, err) = cli.Run("predict", "--model", cli.PathOf(Path.Combine("q", "model.safetensors")), "--csv", csv, "-o", output);
        Assert.That(exit, Is.Zero, err);
        var lines = File.ReadAllLines(output);
        Assert.That(lines[0], Is.EqualTo("lead,time,load,load_q10,load_q50,load_q90,load_q10_cqr,load_q90_cqr"));
        foreach (var row in lines.Skip(1).Select(l => l.Split(',').Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()))
        {
            Assert.That(row[0], Is.EqualTo(row[2]), "the point forecast is the median head");
            Assert.That(row[1] <= row[2] && row[2] <= row[3], "sorted heads");
            Assert.That(row[4] - row[1], Is.EqualTo(row[3] - row[5]).Within(1e-9), "CQR moves both edges by the same correction");
        }
    }
}
