using LstmNative.Cpu;
using NUnit.Framework;

namespace LstmNative.Tests.Cpu;

/// <summary>
/// When two or more workers split a batched recurrence by rows (each walks its own rows, reading all of R) rather than
/// by units: from 8 rows a worker for an R that is cheap to read twice, from 16 otherwise, and always 16 backward.
/// </summary>
[NonParallelizable] // switches LayerExecutor.MinRowsPerWorkerForBatchSplit
public class BatchSplitRuleTests
{
    [TestCase(256 * 1024L, false, 8)]            // float32 H = 128
    [TestCase(1L << 20, false, 8)]               // float32 H = 256
    [TestCase(3L << 20, false, 8)]               // the bound itself
    [TestCase((3L << 20) + 1, false, 16)]
    [TestCase(4L << 20, false, 16)]              // float32 H = 512: measured equal, so the unit split stays
    [TestCase(16L << 20, false, 16)]             // float32 H = 1024: the row split was far slower
    [TestCase(1L << 20, true, 16)]               // the backward was not measured with the narrower split
    public void RowsPerWorkerFollowTheSizeOfR(long recurrentBytes, bool backward, int rows)
    {
        var saved = LayerExecutor.MinRowsPerWorkerForBatchSplit;
        try
        {
            LayerExecutor.MinRowsPerWorkerForBatchSplit = null;
            Assert.That(LayerExecutor.BatchSplitRows(recurrentBytes, backward), Is.EqualTo(rows));
            LayerExecutor.MinRowsPerWorkerForBatchSplit = 3; // a fixed value (tests, benchmarks) wins
            Assert.That(LayerExecutor.BatchSplitRows(recurrentBytes, backward), Is.EqualTo(3));
        }
        finally
        {
            LayerExecutor.MinRowsPerWorkerForBatchSplit = saved;
        }
    }
}
