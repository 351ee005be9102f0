using LstmNative.Gpu.Inference;
using LstmNative.Model;

namespace LstmNative.Gpu.Tests.Emulation;

/// <summary>
/// Line-by-line CPU ports of the inference kernels (kernels/rnn_forward.cu, kernels/rnn_persistent.cu); the GEMMs are
/// <see cref="Tests.Emulation.EmulatedGemm"/>, shared with the training emulator. They read the same argument blocks
/// through the emulated memory, so every offset, stride and pointer the host computes is exercised, with bounds checks
/// on every access.
/// </summary>
internal static class EmulatedKernels
{
    // ----- rnn_common.cuh --------------------------------------------------------------------------------------------

    private static float Act(KernelActivation a, float x) => new Activation((ActivationKind)a.Kind, a.Alpha, a.Beta).Apply(x);

    private static float Clip(float v, float clip) => clip <= 0 ? v : v > clip ? clip : v < -clip ? -clip : v;

    private static float LstmUnit(float ai, float af, float ag, float ao, float pi, float pf, float po, ref float c, float clip, int inputForget, in KernelActivations act)
    {
        float cPrev = c;
        float i = Act(act.F, Clip(ai + pi * cPrev, clip));
        float f = inputForget != 0 ? 1f - i : Act(act.F, Clip(af + pf * cPrev, clip));
        float g = Act(act.G, Clip(ag, clip));
        float cNew = f * cPrev + i * g;
        float o = Act(act.F, Clip(ao + po * cNew, clip));
        c = cNew;
        return o * Act(act.H, cNew);
    }

    // ----- rnn_forward.cu --------------------------------------------------------------------------------------------

    public static void Step(EmulatedBackend m, StepKernel kernel, StepKernelArgs a)
    {
        int h = a.Hidden, gates = kernel == StepKernel.Lstm ? 4 : 3;
        if (a.Batch < 1 || h < 1)
            throw new InvalidOperationException("empty step launch");
        for (int b = 0; b < a.Batch; b++)
        {
            int len = a.Lengths != 0 ? m.Ints(a.Lengths, a.Batch, "lengths")[b] : a.Steps;
            if (a.K >= len)
                continue;
            int t = a.Reverse != 0 ? len - 1 - a.K : a.K;
            var xw = m.Floats(a.Xw + 4 * (ulong)(t * a.XwStrideT + b * a.XwStrideB), gates * h, "xw");
            var hr = m.Floats(a.Hr + 4 * (ulong)((long)b * a.HrLd), gates * h, "hr");
            var bw = m.Floats(a.Bw, gates * h, "bw");
            var br = m.Floats(a.Br, gates * h, "br");
            var state = m.Floats(a.H + 4 * (ulong)((long)b * a.LdH), h, "h");
            var y = a.Y != 0 ? m.Floats(a.Y + 4 * (ulong)(t * a.YStrideT + b * a.YStrideB), h, "y") : default;
            for (int j = 0; j < h; j++)
            {
                float hNew;
                switch (kernel)
                {
                    case StepKernel.Lstm:
                    {
                        float pi = 0, pf = 0, po = 0;
                        if (a.Peep != 0)
                        {
                            var p = m.Floats(a.Peep, 3 * h, "peepholes");
                            (pi, pf, po) = (p[j], p[h + j], p[2 * h + j]);
                        }
                        var cRow = m.Floats(a.C + 4 * (ulong)((long)b * a.LdC), h, "c");
                        float c = cRow[j];
                        hNew = LstmUnit(
                            xw[j] + hr[j] + bw[j] + br[j], xw[h + j] + hr[h + j] + bw[h + j] + br[h + j],
                            xw[2 * h + j] + hr[2 * h + j] + bw[2 * h + j] + br[2 * h + j], xw[3 * h + j] + hr[3 * h + j] + bw[3 * h + j] + br[3 * h + j],
                            pi, pf, po, ref c, a.Clip, a.InputForget, a.Act);
                        cRow[j] = c;
                        break;
                    }
                    case StepKernel.Gru:
                    {
                        float r = Act(a.Act.F, Clip(xw[j] + hr[j] + bw[j] + br[j], a.Clip));
                        float z = Act(a.Act.F, Clip(xw[h + j] + hr[h + j] + bw[h + j] + br[h + j], a.Clip));
                        float n = Act(a.Act.G, Clip(xw[2 * h + j] + bw[2 * h + j] + r * (hr[2 * h + j] + br[2 * h + j]), a.Clip));
                        hNew = (1f - z) * n + z * state[j];
                        break;
                    }
                    case StepKernel.GruReset:
                    {
                        float r = Act(a.Act.F, Clip(xw[j] + hr[j] + bw[j] + br[j], a.Clip));
                        float z = Act(a.Act.F, Clip(xw[h + j] + hr[h + j] + bw[h + j] + br[h + j], a.Clip));
                        hr[h + j] = z;
                        m.Floats(a.Rh + 4 * (ulong)((long)b * h), h, "rh")[j] = r * state[j];
                        continue;
                    }
                    default:
                    {
                        float z = hr[h + j];
                        float n = Act(a.Act.G, Clip(xw[2 * h + j] + bw[2 * h + j] + hr[2 * h + j] + br[2 * h + j], a.Clip));
                        hNew = (1f - z) * n + z * state[j];
                        break;
                    }
                }
                state[j] = hNew;
                if (a.Y != 0)
                    y[j] = hNew;
            }
        }
    }

    // ----- rnn_persistent.cu -----------------------------------------------------------------------------------------

    public static void Persistent(EmulatedBackend m, PersistentPlan plan, PersistentKernelArgs a, PersistentBarrier barrier)
    {
        CheckPersistentLaunch(m, plan, a, barrier);
        int blocks = a.BlocksPerDirection;
        int gates = a.Cell == 0 ? 4 : 3;
        bool twoPhase = a.Cell == 1 && a.LinearBeforeReset == 0;
        var lengths = a.Lengths != 0 ? m.Ints(a.Lengths, a.Batch, "lengths").ToArray() : null;
        for (int d = 0; d < plan.Directions; d++)
        {
            var dir = d == 0 ? a.Dir0 : a.Dir1;
            int arrivals = RunDirection(m, a, dir, gates, twoPhase, lengths);
            if (barrier == PersistentBarrier.Flag)
                m.Ints(dir.Barrier, 1, "barrier")[0] = arrivals * blocks;
        }
    }

    /// <summary>The launch must be the plan, the plan must fit the kernel's assumptions, flag counters must be zero.</summary>
    public static void CheckPersistentLaunch(EmulatedBackend m, PersistentPlan plan, PersistentKernelArgs a, PersistentBarrier barrier)
    {
        int h = a.Hidden, units = a.UnitsPerBlock, blocks = a.BlocksPerDirection, batch = a.Batch;
        int gates = a.Cell == 0 ? 4 : 3;
        bool twoPhase = a.Cell == 1 && a.LinearBeforeReset == 0;
        // The launch must be the plan, and the plan must fit the kernel's assumptions.
        Check(units == plan.UnitsPerBlock && blocks == plan.BlocksPerDirection && a.PaddedHidden == plan.PaddedHidden, "arguments differ from the plan");
        Check(h == plan.Hidden && gates == plan.Gates && twoPhase == plan.TwoPhase, "plan made for another layer");
        Check(batch >= 1 && batch <= plan.BatchBucket && batch == plan.Batch, $"batch {batch} does not match the plan's {plan.Batch} (bucket {plan.BatchBucket})");
        Check(units * (blocks - 1) < h && units * blocks >= h, $"{blocks} blocks of {units} units do not cover H={h} exactly once");
        Check(plan.ThreadsPerBlock % 32 == 0 && plan.ThreadsPerBlock >= units * plan.BatchBucket && plan.ThreadsPerBlock <= PersistentPlan.MaxThreadsPerBlock, "threads per block");
        Check(plan.PaddedHidden % 4 == 0 && plan.PaddedHidden >= h, "padded hidden size");
        Check(plan.SharedMemoryBytes == PersistentPlan.SharedBytes(gates, units, plan.PaddedHidden, plan.BatchBucket), "shared memory size");
        Check(a.BarrierMode is 0 or 1 or 2 or 3 && (a.BarrierMode == 1) == (barrier == PersistentBarrier.Cooperative), "barrier mode");
        for (int d = 0; d < plan.Directions; d++)
        {
            var dir = d == 0 ? a.Dir0 : a.Dir1;
            if (barrier == PersistentBarrier.Flag)
                Check(m.Ints(dir.Barrier, 1, "barrier")[0] == 0, $"direction {d}'s barrier counter was not zeroed before the launch");
        }
    }

    private static int RunDirection(EmulatedBackend m, PersistentKernelArgs a, PersistentDirectionArgs dir, int gates, bool twoPhase, int[]? lengths)
    {
        int h = a.Hidden, batch = a.Batch, steps = a.Steps;
        long slot = (long)batch * h;
        var exchange = m.Floats(dir.Exchange, (twoPhase ? 3 : 2) * slot, "exchange");
        var r = m.Floats(dir.R, (long)gates * h * h, "R").ToArray();
        var bw = m.Floats(dir.Bw, gates * h, "bw").ToArray();
        var br = m.Floats(dir.Br, gates * h, "br").ToArray();
        var peep = dir.Peep != 0 ? m.Floats(dir.Peep, 3 * h, "peepholes").ToArray() : null;
        var hReg = new float[batch, h];
        var cReg = new float[batch, h];
        var zReg = new float[batch, h];
        var len = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            len[b] = lengths?[b] ?? steps;
            var hs = m.Floats(dir.H + 4 * (ulong)((long)b * a.LdState), h, "state h");
            var cs = a.Cell == 0 ? m.Floats(dir.C + 4 * (ulong)((long)b * a.LdState), h, "state c") : default;
            for (int j = 0; j < h; j++)
            {
                hReg[b, j] = hs[j];
                if (a.Cell == 0)
                    cReg[b, j] = cs[j];
            }
        }
        float Bias(int g, int j) => a.Cell == 1 && a.LinearBeforeReset != 0 && g == 2 ? bw[2 * h + j] : bw[g * h + j] + br[g * h + j];
        float[,] Products(float[,] hPrev, int gateFrom, int gateTo)
        {
            var gs = new float[gates * h, batch];
            for (int row = gateFrom * h; row < gateTo * h; row++)
                for (int b = 0; b < batch; b++)
                {
                    float sum = 0;
                    for (int k = 0; k < h; k++)
                        sum += r[(long)row * h + k] * hPrev[b, k];
                    gs[row, b] = sum;
                }
            return gs;
        }
        float[,] Load(Func<int, int, float> source)
        {
            var v = new float[batch, h];
            for (int b = 0; b < batch; b++)
                for (int k = 0; k < h; k++)
                    v[b, k] = source(b, k);
            return v;
        }
        int arrivals = 0;
        for (int s = 0; s < steps; s++)
        {
            float[,] hPrev = s == 0
                ? Load((b, k) => m.Floats(dir.H + 4 * (ulong)((long)b * a.LdState + k), 1, "state h")[0])
                : Load((b, k) => m.Floats(dir.Exchange + 4 * (ulong)(((s - 1) & 1) * slot + (long)b * h + k), 1, "exchange")[0]);
            var gs = Products(hPrev, 0, twoPhase ? 2 : gates);
            var active = new bool[batch];
            var xv = new float[batch, h, 4];
            for (int b = 0; b < batch; b++)
            {
                active[b] = s < len[b];
                if (!active[b])
                    continue;
                int t = dir.Reverse != 0 ? len[b] - 1 - s : s;
                var xr = m.Floats(dir.Xw + 4 * (ulong)(t * a.XwStrideT + b * a.XwStrideB), gates * h, "xw");
                for (int j = 0; j < h; j++)
                    for (int g = 0; g < gates; g++)
                        xv[b, j, g] = xr[g * h + j];
            }
            for (int b = 0; b < batch; b++)
            {
                for (int j = 0; j < h; j++)
                {
                    if (!active[b])
                    {
                        if (twoPhase)
                            exchange[(int)(2 * slot + (long)b * h + j)] = 0;
                        continue;
                    }
                    if (a.Cell == 0)
                    {
                        float pi = peep?[j] ?? 0, pf = peep?[h + j] ?? 0, po = peep?[2 * h + j] ?? 0;
                        float c = cReg[b, j];
                        hReg[b, j] = LstmUnit(
                            xv[b, j, 0] + gs[j, b] + Bias(0, j), xv[b, j, 1] + gs[h + j, b] + Bias(1, j),
                            xv[b, j, 2] + gs[2 * h + j, b] + Bias(2, j), xv[b, j, 3] + gs[3 * h + j, b] + Bias(3, j),
                            pi, pf, po, ref c, a.Clip, a.InputForget, dir.Act);
                        cReg[b, j] = c;
                    }
                    else if (!twoPhase)
                    {
                        float rg = Act(dir.Act.F, Clip(xv[b, j, 0] + gs[j, b] + Bias(0, j), a.Clip));
                        float z = Act(dir.Act.F, Clip(xv[b, j, 1] + gs[h + j, b] + Bias(1, j), a.Clip));
                        float n = Act(dir.Act.G, Clip(xv[b, j, 2] + Bias(2, j) + rg * (gs[2 * h + j, b] + br[2 * h + j]), a.Clip));
                        hReg[b, j] = (1f - z) * n + z * hReg[b, j];
                    }
                    else
                    {
                        float rg = Act(dir.Act.F, Clip(xv[b, j, 0] + gs[j, b] + Bias(0, j), a.Clip));
                        zReg[b, j] = Act(dir.Act.F, Clip(xv[b, j, 1] + gs[h + j, b] + Bias(1, j), a.Clip));
                        exchange[(int)(2 * slot + (long)b * h + j)] = rg * hReg[b, j];
                    }
                }
            }
            if (twoPhase)
            {
                arrivals++; // the mid-step barrier
                var rh = Load((b, k) => m.Floats(dir.Exchange + 4 * (ulong)(2 * slot + (long)b * h + k), 1, "exchange")[0]);
                var gn = Products(rh, 2, 3);
                for (int b = 0; b < batch; b++)
                    for (int j = 0; j < h && active[b]; j++)
                    {
                        float n = Act(dir.Act.G, Clip(xv[b, j, 2] + gn[2 * h + j, b] + Bias(2, j), a.Clip));
                        hReg[b, j] = (1f - zReg[b, j]) * n + zReg[b, j] * hReg[b, j];
                    }
            }
            for (int b = 0; b < batch; b++)
            {
                for (int j = 0; j < h; j++)
                    exchange[(int)((s & 1) * slot + (long)b * h + j)] = hReg[b, j];
                if (active[b] && dir.Y != 0)
                {
                    int t = dir.Reverse != 0 ? len[b] - 1 - s : s;
                    var y = m.Floats(dir.Y + 4 * (ulong)(t * a.YStrideT + b * a.YStrideB), h, "y");
                    for (int j = 0; j < h; j++)
                        y[j] = hReg[b, j];
                }
            }
            if (s + 1 < steps || s == 0)
                arrivals++;
        }
        for (int b = 0; b < batch; b++)
        {
            var hs = m.Floats(dir.H + 4 * (ulong)((long)b * a.LdState), h, "state h");
            var cs = a.Cell == 0 ? m.Floats(dir.C + 4 * (ulong)((long)b * a.LdState), h, "state c") : default;
            for (int j = 0; j < h; j++)
            {
                hs[j] = hReg[b, j];
                if (a.Cell == 0)
                    cs[j] = cReg[b, j];
            }
        }
        return arrivals;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
            throw new InvalidOperationException($"persistent launch: {what}");
    }
}
