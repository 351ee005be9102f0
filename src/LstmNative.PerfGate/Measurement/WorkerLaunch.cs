using System.Diagnostics;
using System.Globalization;

namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// Runs the measurement in separate worker processes, one after the other, and pools their rounds.
/// </summary>
/// <remarks>
/// <para>Why: measured on a loaded 2-core machine, a case's ratio to the calibration differs from one process to the next
/// by a few percent (JIT decisions, where memory lands, the neighbours' load in that minute) even though the rounds of
/// one process agree closely. A single process therefore judges with a hidden bias; pooling several processes averages
/// it out (the spread of the pooled estimate falls as 1/√launches).</para>
/// <para>Workers run with tiered compilation off (<c>DOTNET_TieredCompilation=0</c>): every method is compiled once,
/// fully optimised and without profile-guided variants, so the code measured cannot depend on what a process happened
/// to profile. That halved the spread between processes in our measurements.</para>
/// </remarks>
/// <param name="executable">The program that runs the worker command (the dotnet host, or the CLI's own executable).</param>
/// <param name="prefix">Arguments before the worker's own (e.g. <c>exec path/lstmnative.dll gate-worker</c>).</param>
internal sealed class WorkerLaunch(string executable, IReadOnlyList<string> prefix)
{
    /// <summary>Runs <paramref name="launches"/> workers for <paramref name="suiteFile"/> (null: the built-in suite).</summary>
    public SuiteSamples Measure(string? suiteFile, SamplerSettings settings, int launches, string? slowdownSpec, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var watch = Stopwatch.StartNew();
        int roundsEach = Math.Max(SamplerSettings.MinRounds, (settings.Rounds + launches - 1) / launches);
        var results = new List<SuiteSamples>();
        for (int k = 0; k < launches; k++)
        {
            results.Add(RunOne(suiteFile, settings with { Rounds = roundsEach }, slowdownSpec, k + 1, launches));
            progress?.Invoke($"measurement process {k + 1}/{launches} done ({watch.Elapsed.TotalSeconds:F0} s)");
        }
        return SuiteSamples.Merge(results, watch.Elapsed.TotalSeconds);
    }

    private SuiteSamples RunOne(string? suiteFile, SamplerSettings settings, string? slowdownSpec, int index, int launches)
    {
        string output = Path.Combine(Path.GetTempPath(), $"lstmnative-gate-{Environment.ProcessId}-{index}-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in prefix)
            start.ArgumentList.Add(a);
        void Add(string name, string value)
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }
        if (suiteFile is not null)
            Add("--suite", suiteFile);
        Add("--rounds", settings.Rounds.ToString(CultureInfo.InvariantCulture));
        Add("--passes", settings.Passes.ToString(CultureInfo.InvariantCulture));
        Add("--sample-ms", (settings.SampleSeconds * 1e3).ToString("R", CultureInfo.InvariantCulture));
        Add("--warmup-ms", (settings.WarmupSeconds * 1e3).ToString("R", CultureInfo.InvariantCulture));
        Add("--output", output);
        start.Environment["DOTNET_TieredCompilation"] = "0";
        if (slowdownSpec is null)
            start.Environment.Remove(SlowdownHook.Variable);
        else
            start.Environment[SlowdownHook.Variable] = slowdownSpec;
        try
        {
            using var process = Process.Start(start) ?? throw new GateException($"could not start measurement process {index}/{launches} ({executable})");
            // Both streams drained concurrently so a chatty worker cannot block on a full pipe.
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            process.WaitForExit();
            string errors = stderr.GetAwaiter().GetResult().Trim();
            _ = stdout.GetAwaiter().GetResult();
            if (process.ExitCode != 0 || !File.Exists(output))
            {
                string last = errors.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "no message";
                // The worker already said "lstmnative: error: ..."; keep only its message.
                const string prefixText = "lstmnative: error: ";
                if (last.StartsWith(prefixText, StringComparison.Ordinal))
                    last = last[prefixText.Length..];
                throw new GateException($"measurement process {index}/{launches} failed (exit code {process.ExitCode}): {last}");
            }
            return SamplesJson.Read(output, File.ReadAllText(output));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GateException($"could not start measurement process {index}/{launches} ({executable}): {e.Message}", e);
        }
        finally
        {
            try
            {
                File.Delete(output);
            }
            catch (IOException)
            {
                // A leftover temp file is harmless; the measurement result matters more.
            }
        }
    }
}
