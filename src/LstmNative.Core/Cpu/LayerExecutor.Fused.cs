using System.Runtime.CompilerServices;
using LstmNative.Cpu.Kernels;

namespace LstmNative.Cpu;

// Int8 at batch 1 on one worker (LSTM and GRU): the input projection runs inside the recurrence. At batch 1 each step streams R from
// L3 and leaves the VNNI unit about half idle, while the input projection, run first as one GEMM, is pure VNNI work on
// W (a quarter of a run at H = 1024). Here x is quantized once, the first block of FusedRows steps is projected as
// before, and while the walk steps through block b the native fused product projects block b + 1: step i of the block
// takes W's panels [i·P/8, (i+1)·P/8) for block b + 1's rows, in the gaps of R's stream (NativeCpu.RunInt8Fused). Block
// b + 1's rows are complete when its first step needs them. The sums are exact int32 and the epilogues the plain
// product's, so Y is bit for bit the unfused forward's (tested).
internal sealed unsafe partial class LayerExecutor
{
    /// <summary>Whether the fused int8 forward may run (tests switch it off to compare with the unfused one).</summary>
    internal static bool FusedInt8Enabled { get; set; } = true;

    /// <summary>Walks run by the fused forward so far (tests check that their calls took it).</summary>
    internal static long FusedWalks;

    private AlignedBuffer[]? _xq;      // per gate group: quantized x rows of the walk, by step, in interleaved blocks of FusedRows
    private AlignedBuffer[]? _xqScale; // their scales, by step
    private bool _fused;

    /// <summary>
    /// Chooses the fused forward for this call: LSTM or GRU with int8 quads for every W and R, batch 1, one worker,
    /// inference.
    /// </summary>
    private void PlanFused(int workers, int batch)
    {
        var groups = _plan.Directions[0].Groups;
        _fused = FusedInt8Enabled && !_backward && !Trace && batch == 1 && workers == 1 && !_claimed && !_parallelDirections && !_batchSplit
                 && NativeCpu.Int8Fused && _plan.PanelWidth == NativeCpu.FusedPanelWidth;
        foreach (var g in groups) // a loop, not LINQ: this runs on every call, which allocates nothing
            _fused &= g.InputForward.IsInt8Quads && g.RecurrentForward.IsInt8Quads;
        if (_fused && _xq is null)
        {
            // One quantized copy of x per gate group: each group's W carries its own (static) activation scale.
            long blocks = (MaxSteps + NativeCpu.FusedRows - 1) / NativeCpu.FusedRows;
            _xq = new AlignedBuffer[groups.Length];
            _xqScale = new AlignedBuffer[groups.Length];
            for (int g = 0; g < groups.Length; g++)
            {
                _xq[g] = new AlignedBuffer((blocks * NativeCpu.FusedBlockBytes(_plan.Input) + 3) / 4);
                _xqScale[g] = new AlignedBuffer(MaxSteps);
            }
        }
    }

    /// <summary>Before direction d's walk: quantize its x rows and project the first block's steps with the plain product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void FusedPrologue<TV>(int d, float* scratch) where TV : unmanaged, IVec<TV>
    {
        int length = _maxLen[d];
        if (length == 0)
            return;
        Interlocked.Increment(ref FusedWalks);
        var groups = _plan.Directions[d].Groups;
        // In walk order: step s's x is row TimeOf(s), so a reversed walk reads x from its last valid row backwards.
        bool reverse = Reverse(d);
        var (t0, n) = FusedBlock(d, 0, length);
        for (int g = 0; g < groups.Length; g++)
        {
            var m = groups[g].InputForward;
            NativeCpu.QuantizeSideRows(length, _plan.Input, _x + (reverse ? (long)(length - 1) * _plan.Input : 0), reverse ? -_plan.Input : _plan.Input,
                (byte*)_xq![g].Pointer, _xqScale![g].Pointer, m, scratch);
            Sgemm.Run<TV>(n, _plan.Input, _x + (long)t0 * _plan.Input, _plan.Input, 1, m, 0, m.Panels,
                _dirs[d].Pre[g].Pointer + (long)t0 * groups[g].Columns, groups[g].Columns, false, scratch);
        }
    }

    /// <summary>
    /// Step s's recurrent product of gate group g (batch 1, all panels) on <paramref name="h"/>, with its share of block
    /// s / 8 + 1's input projection for that group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    private void FusedProduct(int d, int s, int g, float* h, float* rec, float* scratch)
    {
        var group = _plan.Directions[d].Groups[g];
        int block = s / NativeCpu.FusedRows + 1, q0 = 0, qc = 0;
        var (t0, n) = FusedBlock(d, block, _maxLen[d]);
        if (n > 0)
            Split(group.InputForward.Panels, s % NativeCpu.FusedRows, NativeCpu.FusedRows, out q0, out qc);
        else
            (block, t0) = (0, 0); // nothing to project: any valid pointers
        // Side row r is step block·8 + r: one time down per row forward (from t0), one up reversed (from t0 + n - 1).
        bool reverse = Reverse(d);
        int cols = group.Columns;
        float* pre = _dirs[d].Pre[g].Pointer + (long)(reverse && n > 0 ? t0 + n - 1 : t0) * cols;
        var r = group.RecurrentForward;
        NativeCpu.RunInt8Fused(_plan.Hidden, h, r, rec, false, scratch,
            _plan.Input, (byte*)_xq![g].Pointer + (long)block * NativeCpu.FusedBlockBytes(_plan.Input),
            _xqScale![g].Pointer + (long)block * NativeCpu.FusedRows, n, group.InputForward, q0, qc, pre, reverse ? -cols : cols,
            Sgemm.DescendingRunPanels(1, r, r.Panels, Descending(s)));
    }

    /// <summary>
    /// The times of block <paramref name="block"/>'s steps (FusedRows steps each) of a walk of <paramref name="length"/>
    /// steps, as an ascending range [t0, t0 + n): steps s ↦ s forward, length - 1 - s reversed. n = 0 past the end.
    /// </summary>
    private (int T0, int Count) FusedBlock(int d, int block, int length)
    {
        int s0 = block * NativeCpu.FusedRows, n = Math.Clamp(length - s0, 0, NativeCpu.FusedRows);
        return (Reverse(d) ? length - s0 - n : s0, n);
    }
}
