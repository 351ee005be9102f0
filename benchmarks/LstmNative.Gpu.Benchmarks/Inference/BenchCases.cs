using LstmNative.Model;

namespace LstmNative.Gpu.Benchmarks.Inference;

/// <summary>One inference configuration: I = H (DeepBench's convention), one direction, input GEMM included.</summary>
public sealed record BenchCase(string Suite, RnnCellType Cell, int Hidden, int Batch, int Steps, int Layers)
{
    public override string ToString() => $"{Cell} H={Hidden} B={Batch} T={Steps} L={Layers}";

    /// <summary>The rows behind the targets, plus a few DeepBench rows: what the GPU bundle runs (about a minute).</summary>
    public static IEnumerable<BenchCase> Short()
    {
        foreach (int h in new[] { 256, 512, 1024 })
            yield return new("target", RnnCellType.Lstm, h, 1, 100, 1);
        yield return new("target", RnnCellType.Lstm, 512, 64, 100, 1);
        yield return new("target", RnnCellType.Lstm, 256, 64, 100, 1);
        yield return new("cpu-suite", RnnCellType.Gru, 512, 1, 100, 1);
        yield return new("cpu-suite", RnnCellType.Lstm, 256, 4, 100, 2);
        foreach (var row in DeepBench.InferenceServerSet().Where(r => r.Steps <= 150 && r.Hidden <= 1536 && r.Batch == 1))
            yield return row;
    }

    /// <summary>The CPU suite's grid (LSTM/GRU, H ∈ {64, 256, 512, 1024}, B ∈ {1, 4, 64}, 1–2 layers, T = 100) and every inference_server_set row.</summary>
    public static IEnumerable<BenchCase> Full()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (int h in new[] { 64, 256, 512, 1024 })
                foreach (int b in new[] { 1, 4, 64 })
                    foreach (int l in new[] { 1, 2 })
                        yield return new("cpu-suite", cell, h, b, 100, l);
        foreach (var row in DeepBench.InferenceServerSet())
            yield return row;
    }
}

/// <summary>DeepBench's RNN problem sizes (shared/reference/deepbench_rnn_configs.csv, copied beside the benchmark at build).</summary>
public static class DeepBench
{
    public const string FileName = "deepbench_rnn_configs.csv";

    public static IEnumerable<BenchCase> InferenceServerSet()
    {
        string? file = Environment.GetEnvironmentVariable("LSTMNATIVE_DEEPBENCH_CSV");
        if (file is null || !File.Exists(file))
        {
            file = null;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && file is null; dir = dir.Parent)
                foreach (var candidate in new[] { Path.Combine(dir.FullName, FileName), Path.Combine(dir.FullName, "shared", "reference", FileName), Path.Combine(dir.FullName, "..", "shared", "reference", FileName) })
                    if (File.Exists(candidate))
                    {
                        file = candidate;
                        break;
                    }
        }
        if (file is null)
            yield break;
        foreach (var line in File.ReadLines(file).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length < 5 || f[0] != "inference_server_set" || f[4] is not ("lstm" or "gru"))
                continue;
            yield return new BenchCase("deepbench", f[4] == "lstm" ? RnnCellType.Lstm : RnnCellType.Gru,
                int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture), 1);
        }
    }
}
