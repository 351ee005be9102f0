using LstmNative.PerfGate.Baseline;
using LstmNative.PerfGate.Machine;
using LstmNative.PerfGate.Measurement;
using LstmNative.PerfGate.Statistics;
using LstmNative.PerfGate.Suite;

namespace LstmNative.PerfGate;

/// <summary>
/// Runs the gate: validates everything that can be validated before measuring (baseline, suite, hook, models), then
/// measures the suite and compares it with the baseline. Writes nothing: the caller decides what to write.
/// </summary>
internal sealed class GateRunner(Action<string>? progress = null)
{
    /// <summary>Runs <paramref name="request"/>; throws <see cref="GateException"/> for anything that prevents a judgement.</summary>
    public GateReport Run(GateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Rule.Validate();
        request.Sampler.Validate();
        var suite = request.Suite;
        var slowdown = SlowdownHook.Parse(request.SlowdownSpec);
        if (slowdown is { } s && !suite.Cases.Any(c => c.Name == s.Case))
            throw new GateException($"{SlowdownHook.Variable} names case '{s.Case}', which is not in suite {suite.Id} (cases: {string.Join(", ", suite.Cases.Select(c => c.Name))})");

        // The baseline first: a wrong or unreadable baseline must fail in a second, not after minutes of measuring.
        BaselineFile? baseline = null;
        if (request.Update)
            CheckWritable(request.BaselinePath);
        else
            baseline = BaselineMatch.CheckSuite(BaselineReader.Read(request.BaselinePath), request.BaselinePath, suite);

        var prepared = new List<PreparedCase>();
        try
        {
            foreach (var c in suite.Cases)
                prepared.Add(c.Prepare());
            if (baseline is not null)
                BaselineMatch.CheckCases(baseline, request.BaselinePath, prepared);

            var machine = MachineProbe.Current();
            IReadOnlyList<string> differences = baseline is null ? [] : machine.DifferencesFrom(baseline.Machine);
            var warnings = differences.Select(d => "machine differs from the baseline's: " + d).ToList();
            if (!ThreadCpuClock.IsAvailable)
                warnings.Add("the thread CPU clock is not available on this system: every case is timed on the wall clock, which counts preemption");
            bool enforced = differences.Count == 0 || request.OtherMachine == OtherMachinePolicy.Enforce;
            if (!enforced)
                warnings.Add("regressions are reported but do not fail the run (--on-other-machine report); re-record the baseline on this kind of machine to enforce them");

            if (slowdown is { } active)
                progress?.Invoke($"TEST HOOK {SlowdownHook.Variable}: case '{active.Case}' does {active.Fraction:P0} extra work");
            var started = DateTimeOffset.UtcNow;
            SuiteSamples samples;
            if (request.Launches <= 1 || request.Worker is null)
            {
                samples = SuiteMeasurement.InProcess(prepared, request.Sampler, request.SlowdownSpec, progress);
            }
            else
            {
                // The workers load their own copies; free this process's sessions (threads, buffers) first.
                foreach (var p in prepared)
                    p.Workload.Dispose();
                samples = request.Worker.Measure(suite.SourceFile, request.Sampler, request.Launches, request.SlowdownSpec, progress);
            }
            if (!samples.Cases.Select(c => c.Name).SequenceEqual(prepared.Select(p => p.Name)))
                throw new GateException("the measurement did not return the suite's cases");

            var results = new List<CaseResult>();
            for (int i = 0; i < prepared.Count; i++)
            {
                var p = prepared[i];
                var current = samples.Cases[i];
                // Comparing: the baseline's case and weights. Recording: this run's samples, weights fitted to them.
                var reference = baseline?.Cases.First(c => c.Name == p.Name) ?? BaselineCase.Record(p.Config, p.Clock, current, samples.Launches);
                var other = p.Clock == ClockKind.ThreadCpu ? ClockKind.Wall : ClockKind.ThreadCpu;
                Comparison? Compare(ClockKind clock) => baseline is null || reference.Samples.On(clock).Count == 0 || current.On(clock).Count == 0
                    ? null
                    : request.Rule.Judge(reference.Adjusted(clock), current.On(clock).Adjusted(reference.Weight(clock)));
                results.Add(new CaseResult(p.Name, p.Config, p.Clock, current, reference, Compare(p.Clock), Compare(other)));
            }
            return new GateReport(suite.Id, started, machine, baseline, warnings, request.Rule, samples, results, enforced,
                slowdown is { } h ? $"{h.Case}:{h.Fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : null);
        }
        finally
        {
            foreach (var p in prepared)
                p.Workload.Dispose();
        }
    }

    /// <summary>The baseline a recording run should write.</summary>
    public static BaselineFile ToBaseline(GateReport report, GateRequest request)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(request);
        return new BaselineFile(
            request.Suite.Name,
            request.Suite.Version,
            Calibration.Version,
            report.Started,
            ToolVersion,
            report.Machine,
            report.Cases[0].Current.On(report.Cases[0].Clock).Count,
            report.Samples.Launches,
            request.Sampler.SampleSeconds * 1e3,
            report.Samples.CalibrationCpuSeconds * 1e3,
            report.Samples.CalibrationWallSeconds * 1e3,
            report.Cases.Select(c => c.Reference).ToList());
    }

    /// <summary>"lstmnative-gate VERSION" from the assembly's informational version.</summary>
    public static string ToolVersion { get; } = "lstmnative-gate " +
        (typeof(GateRunner).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown");

    /// <summary>Fails before measuring when the baseline could not be written afterwards.</summary>
    private static void CheckWritable(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new GateException($"baseline {path} is a directory, not a file");
        string? directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
            throw new GateException($"cannot write the baseline {path}: directory '{directory}' does not exist");
    }
}
