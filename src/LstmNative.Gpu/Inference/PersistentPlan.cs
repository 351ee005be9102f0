using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>
/// The launch of kernels/rnn_persistent.cu for one layer: how many hidden units each block owns, how many blocks per
/// direction, threads, shared memory, and the cost model's estimate of one step. Pure maths, no GPU needed.
/// </summary>
/// <remarks>
/// <para>Block <c>k</c> of a direction owns units <c>[k·J, min((k+1)·J, H))</c> with all their gates, so it holds
/// <c>G·J</c> rows of <c>R</c> (each <c>H</c> floats, padded to a multiple of 4) in shared memory, plus the batch's
/// <c>h_{t-1}</c> (<c>BB × H</c>, BB the batch bucket 1/2/4/8) and its gate products (<c>G·J × BB</c>).</para>
/// <para>All blocks must be resident at once (they wait for each other every step): the grid is at most one block per
/// multiprocessor, so it is resident whenever one block fits on a multiprocessor.</para>
/// <para>Among the block counts that fit, the plan takes the one with the smallest estimated step: fewer blocks mean
/// a cheaper barrier (one block needs none), more blocks more shared-memory bandwidth for the products.</para>
/// </remarks>
public sealed record PersistentPlan
{
    /// <summary>Largest batch the persistent kernel takes (its largest register bucket).</summary>
    public const int MaxBatch = 8;

    /// <summary>Most threads per block the kernel is compiled for (<c>__launch_bounds__(512, 1)</c>).</summary>
    public const int MaxThreadsPerBlock = 512;

    // Cost model, in SM cycles. Rough public figures for Ampere/Hopper, to be calibrated against the benchmark's
    // measured per-step times (the benchmark prints both).
    internal const double L2LatencyCycles = 700;
    internal const double L2BytesPerCycle = 64;
    internal const double SharedBytesPerCycle = 128;
    internal const double FmaLanes = 128;
    internal const double PointwiseCycles = 300;
    internal const double BlockSyncCycles = 40;
    internal const double GridBarrierCycles = 1500;
    internal const double GridBarrierCyclesPerBlock = 10;

    /// <summary>LSTM or GRU.</summary>
    public required RnnCellType Cell { get; init; }

    /// <summary>GRU with linear_before_reset = 0: two barriers per step.</summary>
    public required bool TwoPhase { get; init; }

    /// <summary>Hidden size H.</summary>
    public required int Hidden { get; init; }

    /// <summary>Directions in the launch (1 or 2).</summary>
    public required int Directions { get; init; }

    /// <summary>The batch planned for.</summary>
    public required int Batch { get; init; }

    /// <summary>The kernel's batch bucket (1, 2, 4 or 8), at least <see cref="Batch"/>.</summary>
    public required int BatchBucket { get; init; }

    /// <summary>J: hidden units (each with all its gates) per block.</summary>
    public required int UnitsPerBlock { get; init; }

    /// <summary>Blocks per direction, ceil(H / J).</summary>
    public required int BlocksPerDirection { get; init; }

    /// <summary>Threads per block (a multiple of 32).</summary>
    public required int ThreadsPerBlock { get; init; }

    /// <summary>H rounded up to a multiple of 4 (row pitch in shared memory).</summary>
    public required int PaddedHidden { get; init; }

    /// <summary>Dynamic shared memory per block, bytes.</summary>
    public required int SharedMemoryBytes { get; init; }

    /// <summary>The cost model's estimate of one step (all directions run at once), µs.</summary>
    public required double EstimatedStepMicroseconds { get; init; }

    /// <summary>Blocks in the launch.</summary>
    public int GridBlocks => Directions * BlocksPerDirection;

    /// <summary>Gate blocks per unit.</summary>
    public int Gates => Cell.GateCount();

    /// <summary>The kernel's name in the module.</summary>
    public string KernelName => KernelNameFor(BatchBucket);

    /// <summary>The kernel of a batch bucket.</summary>
    public static string KernelNameFor(int bucket) => bucket switch
    {
        1 => InferenceKernelNames.PersistentB1,
        2 => InferenceKernelNames.PersistentB2,
        4 => InferenceKernelNames.PersistentB4,
        8 => InferenceKernelNames.PersistentB8,
        _ => throw new ArgumentOutOfRangeException(nameof(bucket), $"no persistent kernel for batch bucket {bucket}"),
    };

    /// <summary>Every batch bucket with its own compiled persistent kernel.</summary>
    public static IReadOnlyList<int> BatchBuckets { get; } = [1, 2, 4, 8];

    /// <summary>The smallest bucket (1, 2, 4, 8) holding <paramref name="batch"/> rows; 0 when it is above 8.</summary>
    public static int BucketFor(int batch) => batch switch
    {
        < 1 => throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be positive, got {batch}"),
        1 => 1,
        2 => 2,
        <= 4 => 4,
        <= MaxBatch => 8,
        _ => 0,
    };

    /// <summary>H rounded up to a multiple of 4.</summary>
    public static int PadHidden(int hidden) => checked((hidden + 3) & ~3);

    /// <summary>Shared memory of one block: weights, state and products, as kernels/rnn_persistent.cu lays it out.</summary>
    public static long SharedBytes(int gates, int units, int paddedHidden, int bucket) =>
        4L * ((long)gates * units * paddedHidden + (long)bucket * paddedHidden + (long)gates * units * bucket);

    /// <summary>
    /// Threads for a block of <paramref name="units"/> units: a warp per pair of weight rows (2 to 16 warps), and at
    /// least one thread per (unit, row) for the pointwise part. 0 when that exceeds <see cref="MaxThreadsPerBlock"/>.
    /// </summary>
    public static int ThreadsFor(int gates, int units, int bucket)
    {
        int rows = gates * units;
        int warps = Math.Clamp((rows + 1) / 2, 2, 16);
        int threads = Math.Max(32 * warps, (units * bucket + 31) / 32 * 32);
        return threads <= MaxThreadsPerBlock ? threads : 0;
    }

    /// <summary>
    /// Plans a persistent launch of <paramref name="layer"/> for <paramref name="batch"/> rows on a device with
    /// <paramref name="limits"/>; false with the reason when the layer does not fit.
    /// </summary>
    public static bool TryCreate(RnnLayerOptions layer, int batch, DeviceLimits limits, out PersistentPlan? plan, out string reason) =>
        TryCreate(layer, batch, limits, null, out plan, out reason);

    /// <summary>As above; <paramref name="forcedUnits"/> (tuning experiments) considers only that many units per block.</summary>
    internal static bool TryCreate(RnnLayerOptions layer, int batch, DeviceLimits limits, int? forcedUnits, out PersistentPlan? plan, out string reason)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(limits);
        plan = null;
        int bucket = BucketFor(batch);
        if (bucket == 0)
        {
            reason = $"batch {batch} is above the persistent kernel's limit of {MaxBatch}";
            return false;
        }
        int h = layer.HiddenSize, dirs = layer.DirectionCount, gates = layer.GateCount;
        int hp = PadHidden(h);
        bool twoPhase = layer.Cell == RnnCellType.Gru && !layer.LinearBeforeReset;
        int maxBlocks = limits.MultiprocessorCount / dirs;
        long perBlockLimit = limits.PersistentDynamicSharedBudget;
        PersistentPlan? best = null;
        int lastUnits = -1;
        for (int blocks = 1; blocks <= Math.Min(maxBlocks, h); blocks++)
        {
            int units = (h + blocks - 1) / blocks;
            if (units == lastUnits || (forcedUnits is { } forced && units != forced))
                continue; // same split as a smaller block count
            lastUnits = units;
            int used = (h + units - 1) / units;
            long shared = SharedBytes(gates, units, hp, bucket);
            int threads = ThreadsFor(gates, units, bucket);
            if (shared > perBlockLimit || threads == 0 || threads > limits.MaxThreadsPerMultiprocessor)
                continue;
            double us = EstimateStepMicroseconds(gates, twoPhase, units, used, hp, bucket, threads, limits);
            if (best is null || us < best.EstimatedStepMicroseconds)
            {
                best = new PersistentPlan
                {
                    Cell = layer.Cell,
                    TwoPhase = twoPhase,
                    Hidden = h,
                    Directions = dirs,
                    Batch = batch,
                    BatchBucket = bucket,
                    UnitsPerBlock = units,
                    BlocksPerDirection = used,
                    ThreadsPerBlock = threads,
                    PaddedHidden = hp,
                    SharedMemoryBytes = (int)shared,
                    EstimatedStepMicroseconds = us,
                };
            }
        }
        if (best is null)
        {
            long weights = 4L * dirs * gates * h * h;
            reason = $"the recurrent weights ({weights / 1048576.0:F1} MiB for {dirs} direction(s) of {layer.Cell} H={h}) with a batch of {batch} " +
                     $"do not fit in the shared memory of {maxBlocks * dirs} blocks of at most {perBlockLimit / 1024} KiB on {limits.Name}";
            return false;
        }
        plan = best;
        reason = $"persistent: {best.GridBlocks} block(s) of {best.ThreadsPerBlock} threads, {best.UnitsPerBlock} unit(s) each, " +
                 $"{best.SharedMemoryBytes / 1024.0:F1} KiB shared, ~{best.EstimatedStepMicroseconds:F2} µs/step (model)";
        return true;
    }

    /// <summary>The cost model: one step's state load, products, pointwise work and barrier(s), in µs.</summary>
    internal static double EstimateStepMicroseconds(int gates, bool twoPhase, int units, int blocks, int paddedHidden, int bucket, int threads, DeviceLimits limits)
    {
        double rows = gates * units;
        double load = L2LatencyCycles + bucket * paddedHidden * 4.0 / L2BytesPerCycle;
        double sharedReads = rows * paddedHidden * 4.0 + Math.Ceiling(rows / 2) * bucket * paddedHidden * 4.0;
        double products = Math.Max(sharedReads / SharedBytesPerCycle, rows * paddedHidden * bucket / Math.Min(threads, FmaLanes));
        double barrier = blocks == 1 ? BlockSyncCycles : GridBarrierCycles + GridBarrierCyclesPerBlock * blocks;
        double phases = twoPhase ? 2 : 1;
        double cycles = phases * (load + barrier) + products + PointwiseCycles * phases;
        return cycles / (limits.ClockKhz / 1000.0);
    }
}
