using System.CommandLine;
using LstmNative.Formats;
using LstmNative.PerfGate;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Suite;

namespace LstmNative.Cli.Commands;

/// <summary>
/// <c>lstmnative gate worker</c> (hidden): one measurement process of <c>lstmnative gate</c>. Measures the suite and
/// writes the samples to <c>--output</c>; the gate starts it, reads the file and pools the processes' rounds.
/// </summary>
internal static class GateWorkerCommand
{
    public static Command Create(TextWriter stderr)
    {
        var suite = new Option<FileInfo>("--suite") { Description = "the suite file; without it the built-in suite" };
        var rounds = new Option<int>("--rounds") { Required = true };
        var passes = new Option<int>("--passes") { Required = true };
        var sampleMs = new Option<double>("--sample-ms") { Required = true };
        var warmupMs = new Option<double>("--warmup-ms") { Required = true };
        var output = new Option<FileInfo>("--output") { Required = true };
        var command = new Command("worker", "one measurement process of 'lstmnative gate' (started by it)")
        {
            suite, rounds, passes, sampleMs, warmupMs, output,
        };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            try
            {
                var gateSuite = parse.GetValue(suite) is { } file ? SuiteFile.Load(file.FullName) : BuiltInSuite.Create();
                var settings = new SamplerSettings(parse.GetValue(rounds), parse.GetValue(sampleMs) / 1e3, parse.GetValue(warmupMs) / 1e3, parse.GetValue(passes));
                var samples = SuiteMeasurement.Prepared(gateSuite, settings, Environment.GetEnvironmentVariable(SlowdownHook.Variable), progress: null);
                AtomicFile.Write(parse.GetValue(output)!.FullName, s => SamplesJson.Write(s, samples));
                return CliApp.Ok;
            }
            catch (Exception e)
            {
                stderr.WriteLine($"lstmnative: error: {(e is GateException ? e.Message.ReplaceLineEndings(" ") : CliApp.Describe(e))}");
                return GateCommand.Error;
            }
        });
        return command;
    }
}
