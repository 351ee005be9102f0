using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

/// <summary>What the heuristic chose for one layer at one batch size, and why.</summary>
/// <param name="Algorithm">Standard or Persistent (never Auto).</param>
/// <param name="Plan">The persistent launch, when <paramref name="Algorithm"/> is Persistent.</param>
/// <param name="Reason">One line: the rule that decided.</param>
public sealed record AlgorithmChoice(GpuAlgorithm Algorithm, PersistentPlan? Plan, string Reason);

/// <summary>
/// Chooses the algorithm of a layer for a batch size. The rules, in order:
/// <list type="number">
/// <item>an explicit <see cref="GpuAlgorithm.Standard"/> is honoured;</item>
/// <item>an explicit <see cref="GpuAlgorithm.Persistent"/> is honoured when a plan exists, else it is an error naming the limit;</item>
/// <item>Auto: persistent when a plan exists (batch ≤ 8, the weights fit on chip, the device can launch the grid at once);
///   the cooperative barrier also needs cooperative-launch support;</item>
/// <item>otherwise standard.</item>
/// </list>
/// The persistent kernel pays one barrier per step (~1–2 µs) where the standard algorithm pays a GEMM and a kernel
/// (~6–10 µs at small batch), so whenever it fits it is the faster one; the standard algorithm's GEMMs win once the
/// batch is large enough to fill the GPU, which is above the persistent limit anyway.
/// </summary>
public static class AlgorithmHeuristic
{
    /// <summary>Decides for <paramref name="layer"/> at <paramref name="batch"/> rows.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="batch">Rows of the call.</param>
    /// <param name="limits">The device.</param>
    /// <param name="options">The user's options (algorithm override, barrier).</param>
    /// <param name="residentCheck">
    /// Optional: given a plan, the number of its blocks the device can hold at once (the occupancy API); a plan whose
    /// grid does not fit is rejected. Null trusts the plan's one-block-per-multiprocessor rule.
    /// </param>
    /// <exception cref="NotSupportedException">Persistent was asked for and does not fit; the message says why.</exception>
    public static AlgorithmChoice Choose(RnnLayerOptions layer, int batch, DeviceLimits limits, GpuInferenceOptions options, Func<PersistentPlan, int>? residentCheck = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (options.Algorithm == GpuAlgorithm.Standard)
            return new AlgorithmChoice(GpuAlgorithm.Standard, null, "standard: asked for");

        string reason;
        PersistentPlan? plan = null;
        if (options.Barrier == PersistentBarrier.Cooperative && !limits.SupportsCooperativeLaunch)
            reason = $"{limits.Name} does not support cooperative launches";
        else if (PersistentPlan.TryCreate(layer, batch, limits, options.ForcedUnitsPerBlock, out plan, out reason) && residentCheck is not null)
        {
            int resident = residentCheck(plan!);
            if (resident < plan!.GridBlocks)
            {
                reason = $"the device holds only {resident} of the {plan.GridBlocks} blocks at once (registers or shared memory)";
                plan = null;
            }
        }

        if (plan is not null)
            return new AlgorithmChoice(GpuAlgorithm.Persistent, plan, reason);
        if (options.Algorithm == GpuAlgorithm.Persistent)
            throw new NotSupportedException($"the persistent algorithm cannot run {layer.Cell} H={layer.HiddenSize} with batch {batch}: {reason}");
        return new AlgorithmChoice(GpuAlgorithm.Standard, null, $"standard: {reason}");
    }
}
