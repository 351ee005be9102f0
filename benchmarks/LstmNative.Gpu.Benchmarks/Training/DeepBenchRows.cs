using LstmNative.Model;

namespace LstmNative.Gpu.Benchmarks.Training;

/// <summary>One DeepBench RNN problem: hidden size, batch, time steps, cell (1 layer, unidirectional, input = hidden).</summary>
/// <param name="Hidden">H (and the input size).</param>
/// <param name="Batch">N.</param>
/// <param name="Steps">T.</param>
/// <param name="Cell">LSTM or GRU (cuDNN's GRU: linear_before_reset = 1).</param>
public sealed record DeepBenchRow(int Hidden, int Batch, int Steps, RnnCellType Cell)
{
    /// <summary>Multiply-adds × 2 of forward + backward (backward ≈ 2× forward: dx/dh and dW), input GEMM included.</summary>
    public double TrainingFlops => 3.0 * 2 * Cell.GateCount() * (double)Hidden * (Hidden + Hidden) * Batch * Steps;

    /// <inheritdoc/>
    public override string ToString() => $"{(Cell == RnnCellType.Lstm ? "LSTM" : "GRU")} H={Hidden} N={Batch} T={Steps}";
}

/// <summary>
/// DeepBench's training_set LSTM and GRU rows (shared/reference/deepbench_rnn_configs.csv, from DeepBench's
/// code/kernels/rnn_problems.h), copied here because the GPU machine does not have the shared folder.
/// </summary>
public static class DeepBenchRows
{
    /// <summary>The LSTM rows of training_set.</summary>
    public static IReadOnlyList<DeepBenchRow> Lstm { get; } =
    [
        new(512, 16, 25, RnnCellType.Lstm), new(512, 32, 25, RnnCellType.Lstm), new(512, 64, 25, RnnCellType.Lstm), new(512, 128, 25, RnnCellType.Lstm),
        new(1024, 16, 25, RnnCellType.Lstm), new(1024, 32, 25, RnnCellType.Lstm), new(1024, 64, 25, RnnCellType.Lstm), new(1024, 128, 25, RnnCellType.Lstm),
        new(2048, 16, 25, RnnCellType.Lstm), new(2048, 32, 25, RnnCellType.Lstm), new(2048, 64, 25, RnnCellType.Lstm), new(2048, 128, 25, RnnCellType.Lstm),
        new(4096, 16, 25, RnnCellType.Lstm), new(4096, 32, 25, RnnCellType.Lstm), new(4096, 64, 25, RnnCellType.Lstm), new(4096, 128, 25, RnnCellType.Lstm),
        new(1536, 8, 50, RnnCellType.Lstm), new(1536, 16, 50, RnnCellType.Lstm), new(1536, 32, 50, RnnCellType.Lstm),
        new(256, 16, 150, RnnCellType.Lstm), new(256, 32, 150, RnnCellType.Lstm), new(256, 64, 150, RnnCellType.Lstm),
    ];

    /// <summary>The GRU rows of training_set.</summary>
    public static IReadOnlyList<DeepBenchRow> Gru { get; } =
    [
        new(2816, 32, 1500, RnnCellType.Gru), new(2816, 32, 750, RnnCellType.Gru), new(2816, 32, 375, RnnCellType.Gru), new(2816, 32, 187, RnnCellType.Gru),
        new(2048, 32, 1500, RnnCellType.Gru), new(2048, 32, 750, RnnCellType.Gru), new(2048, 32, 375, RnnCellType.Gru), new(2048, 32, 187, RnnCellType.Gru),
        new(1536, 32, 1500, RnnCellType.Gru), new(1536, 32, 750, RnnCellType.Gru), new(1536, 32, 375, RnnCellType.Gru), new(1536, 32, 187, RnnCellType.Gru),
        new(2560, 32, 1500, RnnCellType.Gru), new(2560, 32, 750, RnnCellType.Gru), new(2560, 32, 375, RnnCellType.Gru), new(2560, 32, 187, RnnCellType.Gru),
        new(512, 32, 1, RnnCellType.Gru), new(1024, 32, 1500, RnnCellType.Gru), new(1024, 64, 1500, RnnCellType.Gru),
    ];

    /// <summary>A few rows that fit a short run: small and large H, small and large N, both cells.</summary>
    public static IReadOnlyList<DeepBenchRow> Quick { get; } =
    [
        new(512, 16, 25, RnnCellType.Lstm), new(1024, 32, 25, RnnCellType.Lstm), new(2048, 64, 25, RnnCellType.Lstm),
        new(4096, 128, 25, RnnCellType.Lstm), new(256, 16, 150, RnnCellType.Lstm), new(1536, 32, 187, RnnCellType.Gru),
    ];

    /// <summary>Rows by name: lstm, gru, all, quick.</summary>
    public static IReadOnlyList<DeepBenchRow> Select(string which) => which.ToUpperInvariant() switch
    {
        "LSTM" => Lstm,
        "GRU" => Gru,
        "ALL" => [.. Lstm, .. Gru],
        "QUICK" => Quick,
        _ => throw new ArgumentException($"--rows must be lstm, gru, all or quick, got '{which}'"),
    };
}
