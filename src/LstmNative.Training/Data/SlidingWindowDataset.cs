using System.Numerics;

namespace LstmNative.Training.Data;

/// <summary>
/// Supervised samples cut from a multivariate time series: sample <c>i</c> starts at row <c>s = i * stride</c>;
/// its input is rows <c>[s, s + window)</c> of the input columns, its target rows <c>[s + window, s + window + horizon)</c>
/// of the target columns. Batches are batch-first: inputs <c>[B, window, F]</c>, targets <c>[B, horizon]</c> for one
/// target column or <c>[B, horizon, K]</c> for K columns.
/// </summary>
public sealed class SlidingWindowDataset
{
    private readonly double[] _data;
    private readonly int _columns;
    private readonly int[] _inputColumns, _targetColumns;

    /// <summary>Windows over a table, naming the input columns (null: all) and the target columns.</summary>
    public SlidingWindowDataset(NumericTable table, int window, int horizon, IReadOnlyList<string> targetColumns, IReadOnlyList<string>? inputColumns = null, int stride = 1)
        : this(
            (table ?? throw new ArgumentNullException(nameof(table))).Data,
            table.ColumnCount,
            window,
            horizon,
            (targetColumns ?? throw new ArgumentNullException(nameof(targetColumns))).Select(table.ColumnIndex).ToArray(),
            inputColumns?.Select(table.ColumnIndex).ToArray(),
            stride)
    {
    }

    /// <summary>Windows over row-major data of <paramref name="columns"/> columns, by column index (input null: all).</summary>
    public SlidingWindowDataset(double[] data, int columns, int window, int horizon, IReadOnlyList<int> targetColumns, IReadOnlyList<int>? inputColumns = null, int stride = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(targetColumns);
        if (columns < 1 || data.Length % columns != 0)
            throw new ArgumentException($"{data.Length} values do not fill rows of {columns} columns");
        if (window < 1 || horizon < 1 || stride < 1)
            throw new ArgumentException($"window, horizon and stride must be positive, got {window}, {horizon} and {stride}");
        _inputColumns = (inputColumns ?? Enumerable.Range(0, columns).ToArray()).ToArray();
        _targetColumns = targetColumns.ToArray();
        if (_inputColumns.Length == 0 || _targetColumns.Length == 0)
            throw new ArgumentException("a window dataset needs at least one input column and one target column");
        foreach (int c in _inputColumns.Concat(_targetColumns))
            if ((uint)c >= (uint)columns)
                throw new ArgumentException($"column {c} is outside [0, {columns})");
        _data = data;
        _columns = columns;
        Window = window;
        Horizon = horizon;
        Stride = stride;
        Rows = data.Length / columns;
        Count = Rows < window + horizon ? 0 : (Rows - window - horizon) / stride + 1;
    }

    /// <summary>Rows of the series.</summary>
    public int Rows { get; }

    /// <summary>Input time steps per sample.</summary>
    public int Window { get; }

    /// <summary>Target time steps per sample.</summary>
    public int Horizon { get; }

    /// <summary>Rows between consecutive sample starts.</summary>
    public int Stride { get; }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Input features per time step (F).</summary>
    public int InputFeatures => _inputColumns.Length;

    /// <summary>Target columns (K).</summary>
    public int TargetCount => _targetColumns.Length;

    /// <summary>First input row of sample <paramref name="sample"/>; its targets start at this plus <see cref="Window"/>.</summary>
    public int SampleStart(int sample) =>
        (uint)sample < (uint)Count ? sample * Stride : throw new ArgumentOutOfRangeException(nameof(sample));

    /// <summary>The target shape for a batch of <paramref name="batch"/> samples.</summary>
    public int[] TargetShape(int batch) => TargetCount == 1 ? [batch, Horizon] : [batch, Horizon, TargetCount];

    /// <summary>Copies the given samples into <paramref name="inputs"/> <c>[B, window, F]</c> and <paramref name="targets"/> (see <see cref="TargetShape"/>).</summary>
    public void Fill<T>(ReadOnlySpan<int> samples, Tensor<T> inputs, Tensor<T> targets) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        int b = samples.Length, f = InputFeatures, k = TargetCount;
        if (!inputs.HasShape([b, Window, f]) || targets.Length != b * Horizon * k)
            throw new ArgumentException($"buffers {inputs} and {targets} do not fit {b} samples");
        Span<T> x = inputs.Data, y = targets.Data;
        for (int n = 0; n < b; n++)
        {
            int start = SampleStart(samples[n]);
            for (int t = 0; t < Window; t++)
            {
                int row = (start + t) * _columns;
                for (int c = 0; c < f; c++)
                    x[(n * Window + t) * f + c] = T.CreateChecked(_data[row + _inputColumns[c]]);
            }
            for (int h = 0; h < Horizon; h++)
            {
                int row = (start + Window + h) * _columns;
                for (int c = 0; c < k; c++)
                    y[(n * Horizon + h) * k + c] = T.CreateChecked(_data[row + _targetColumns[c]]);
            }
        }
    }

    /// <summary>The sample order of one epoch: 0..Count-1, shuffled (Fisher-Yates) when <paramref name="shuffle"/> is given.</summary>
    public int[] Order(Random? shuffle = null)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        shuffle?.Shuffle(order);
        return order;
    }

    /// <summary>
    /// One epoch of batches in <see cref="Order"/>. The tensors are reused from batch to batch (a last, smaller batch
    /// gets its own pair): copy them to keep them. With <paramref name="dropLast"/> the incomplete last batch is skipped.
    /// </summary>
    public IEnumerable<WindowBatch<T>> Batches<T>(int batchSize, Random? shuffle = null, bool dropLast = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (batchSize < 1)
            throw new ArgumentException($"batch size must be positive, got {batchSize}");
        return Iterate<T>(batchSize, Order(shuffle), dropLast);
    }

    private IEnumerable<WindowBatch<T>> Iterate<T>(int batchSize, int[] order, bool dropLast) where T : unmanaged, IFloatingPointIeee754<T>
    {
        WindowBatch<T>? full = null;
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int b = Math.Min(batchSize, order.Length - start);
            if (b < batchSize && dropLast)
                yield break;
            var batch = b == batchSize
                ? full ??= new WindowBatch<T>(new Tensor<T>(b, Window, InputFeatures), new Tensor<T>(TargetShape(b)), new int[b])
                : new WindowBatch<T>(new Tensor<T>(b, Window, InputFeatures), new Tensor<T>(TargetShape(b)), new int[b]);
            order.AsSpan(start, b).CopyTo(batch.Samples);
            Fill<T>(batch.Samples, batch.Inputs, batch.Targets);
            yield return batch;
        }
    }
}

/// <summary>One batch of windows.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Inputs"><c>[B, window, F]</c>.</param>
/// <param name="Targets"><c>[B, horizon]</c> or <c>[B, horizon, K]</c>.</param>
/// <param name="Samples">The sample index of each row of the batch.</param>
public sealed record WindowBatch<T>(Tensor<T> Inputs, Tensor<T> Targets, int[] Samples) where T : unmanaged, IFloatingPointIeee754<T>;
