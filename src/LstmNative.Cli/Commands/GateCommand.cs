using System.CommandLine;
using LstmNative.Formats;
using LstmNative.PerfGate;
using LstmNative.PerfGate.Baseline;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Reports;
using LstmNative.PerfGate.Statistics;
using LstmNative.PerfGate.Suite;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative gate --baseline FILE [--suite SUITE.json] [--update] [--json FILE] [--junit FILE]</c>: the performance
/// gate. Exit codes differ from the other commands, as CI gates expect: 0 no case regressed, 1 a regression, 2 an error
/// (bad baseline, bad suite, a model that does not load, a malformed command line); on an error nothing is written.
/// </summary>
internal static class GateCommand
{
    /// <summary>
    /// Defaults: a comparison pools 5 processes of 10 rounds; recording pools 15 processes of 10 rounds, because every
    /// later comparison inherits the baseline's own error (and the memory yardstick's weights are fitted across processes).
    /// </summary>
    private static class GateDefaults
    {
        public const int Launches = 5;
        public const int Rounds = 50;
        public const int UpdateLaunches = 15;
        public const int UpdateRounds = 150;
    }

    public const int Error = 2;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var baseline = new Option<FileInfo>("--baseline", "-b") { Description = "the baseline file (JSON, committed with your code)", Required = true };
        var suite = new Option<FileInfo>("--suite") { Description = "a suite file naming your models (JSON); without it the built-in CPU suite runs" };
        var update = new Option<bool>("--update") { Description = "measure and (re)write the baseline atomically instead of comparing" };
        var json = new Option<FileInfo>("--json") { Description = "also write the report as JSON to this file" };
        var junit = new Option<FileInfo>("--junit") { Description = "also write the report as JUnit XML to this file" };
        var threshold = new Option<double>("--threshold") { Description = "slowdown that fails a case, as a fraction (0.10 = 10%)", DefaultValueFactory = _ => DecisionRule.Default.Threshold };
        var alpha = new Option<double>("--alpha") { Description = "significance level of the one-sided rank test", DefaultValueFactory = _ => DecisionRule.Default.Alpha };
        var rounds = new Option<int?>("--rounds") { Description = $"measurement rounds in all (at least 10 per process; default {GateDefaults.Rounds}, with --update {GateDefaults.UpdateRounds})" };
        var launches = new Option<int?>("--launches") { Description = $"measurement processes whose rounds are pooled; 1 measures in this process (default {GateDefaults.Launches}, with --update {GateDefaults.UpdateLaunches})" };
        var sampleMs = new Option<double>("--sample-ms") { Description = "target length of one timed sample, in milliseconds", DefaultValueFactory = _ => SamplerSettings.Default.SampleSeconds * 1e3 };
        var warmupMs = new Option<double>("--warmup-ms") { Description = "minimum time per workload in each warm-up pass, in milliseconds", DefaultValueFactory = _ => SamplerSettings.Default.WarmupSeconds * 1e3 };
        var otherMachine = new Option<string>("--on-other-machine")
        {
            Description = "when the machine differs from the baseline's: enforce (warn and still fail on regressions) or report (warn; regressions do not fail)",
            DefaultValueFactory = _ => "enforce",
        };
        otherMachine.AcceptOnlyFromAmong("enforce", "report");
        var command = new Command("gate", "performance gate: measure a suite relative to a calibration workload and fail on a significant slowdown against a baseline (exit 0 pass, 1 regression, 2 error)")
        {
            baseline, suite, update, json, junit, threshold, alpha, rounds, launches, sampleMs, warmupMs, otherMachine,
        };
        command.Subcommands.Add(GateWorkerCommand.Create(stderr));
        command.SetAction(parse =>
        {
            try
            {
                string baselinePath = parse.GetValue(baseline)!.FullName;
                string? jsonPath = parse.GetValue(json)?.FullName;
                string? junitPath = parse.GetValue(junit)?.FullName;
                foreach (string? output in new[] { jsonPath, junitPath })
                    if (output is not null && Path.GetDirectoryName(output) is { } dir && !Directory.Exists(dir))
                        throw new GateException($"cannot write the report {output}: directory '{dir}' does not exist");
                var gateSuite = parse.GetValue(suite) is { } file ? SuiteFile.Load(file.FullName) : BuiltInSuite.Create();
                bool updating = parse.GetValue(update);
                int processes = parse.GetValue(launches) ?? (updating ? GateDefaults.UpdateLaunches : GateDefaults.Launches);
                if (processes < 1 || processes > 1000)
                    throw new GateException($"--launches must be between 1 and 1000, got {processes}");
                var request = new GateRequest(
                    gateSuite,
                    baselinePath,
                    updating,
                    new DecisionRule(parse.GetValue(threshold), parse.GetValue(alpha)),
                    new SamplerSettings(parse.GetValue(rounds) ?? (updating ? GateDefaults.UpdateRounds : GateDefaults.Rounds),
                        parse.GetValue(sampleMs) / 1e3, parse.GetValue(warmupMs) / 1e3),
                    parse.GetValue(otherMachine) == "report" ? OtherMachinePolicy.Report : OtherMachinePolicy.Enforce,
                    Environment.GetEnvironmentVariable(SlowdownHook.Variable),
                    processes,
                    processes > 1 ? SelfInvocation.GateWorker() : null);
                stdout.WriteLine($"gate: suite {gateSuite.Id}, {gateSuite.Cases.Count} case(s), {(request.Update ? "recording" : "comparing with")} {parse.GetValue(baseline)!.Name}");
                var report = new GateRunner(line => stdout.WriteLine($"gate: {line}")).Run(request);

                if (request.Update)
                {
                    BaselineWriter.Write(baselinePath, GateRunner.ToBaseline(report, request));
                }
                TableReport.Write(stdout, report, parse.GetValue(baseline)!.ToString());
                if (jsonPath is not null)
                    AtomicFile.Write(jsonPath, s => JsonReport.Write(s, report));
                if (junitPath is not null)
                    AtomicFile.Write(junitPath, s => JUnitReport.Write(s, report));
                if (request.Update)
                    stdout.WriteLine($"wrote baseline {baselinePath}");
                return report.ExitCode;
            }
            catch (Exception e)
            {
                // The gate's contract is exit 2 for every error (the other commands use 1 for a failed job).
                stderr.WriteLine($"lstmnative: error: {(e is GateException ? e.Message.ReplaceLineEndings(" ") : CliApp.Describe(e))}");
                return Error;
            }
        });
        return command;
    }
}
