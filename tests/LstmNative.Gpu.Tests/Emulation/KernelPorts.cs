using System.Runtime.CompilerServices;
using LstmNative.Cuda;
using LstmNative.Gpu.Training;

namespace LstmNative.Gpu.Tests.Emulation;

/// <summary>
/// C# ports of the training kernels, line for line from kernels/rnn_train_forward.cu, rnn_backward.cu, optimizer.cu,
/// clip.cu and loss.cu, run over the launch's grid (so a wrong grid shows up as wrong results here too). When a kernel
/// changes, its port changes with it.
/// </summary>
internal static class KernelPorts
{
    private const int Peepholes = 1, InputForget = 2, ClipFlag = 4, ReverseFlag = 8;

    public static void Run<TParams>(EmulatedBackend dev, TrainingKernel kernel, LaunchConfig cfg, TParams raw) where TParams : unmanaged
    {
        switch (kernel)
        {
            case TrainingKernel.LstmForwardStep:
            case TrainingKernel.LstmForwardStepGeneral:
            case TrainingKernel.GruForwardStep:
            case TrainingKernel.GruForwardStepGeneral:
            case TrainingKernel.GruForwardRz:
            case TrainingKernel.GruForwardRzGeneral:
            case TrainingKernel.GruForwardN:
            case TrainingKernel.GruForwardNGeneral:
            case TrainingKernel.LstmBackwardStep:
            case TrainingKernel.LstmBackwardStepGeneral:
            case TrainingKernel.GruBackwardStep:
            case TrainingKernel.GruBackwardStepGeneral:
            case TrainingKernel.GruBackwardZn:
            case TrainingKernel.GruBackwardZnGeneral:
            case TrainingKernel.GruBackwardR:
            case TrainingKernel.GruBackwardRGeneral:
                Step(dev, kernel, cfg, As<TParams, RnnStepParams>(raw));
                break;
            case TrainingKernel.GatherFirstStep:
                Gather(dev, cfg, As<TParams, GatherParams>(raw));
                break;
            case TrainingKernel.BiasGradColumns:
                BiasGrad(dev, cfg, As<TParams, BiasGradParams>(raw));
                break;
            case TrainingKernel.PeepholeGradReduce:
                PeepholeGrad(dev, cfg, As<TParams, PeepholeGradParams>(raw));
                break;
            case TrainingKernel.DropoutForward:
            case TrainingKernel.DropoutBackward:
                Dropout(dev, As<TParams, DropoutParams>(raw));
                break;
            case TrainingKernel.AddBiasRows:
                AddBias(dev, As<TParams, AddBiasParams>(raw));
                break;
            case TrainingKernel.OptimizerPrepare:
                OptimizerPrepare(dev, As<TParams, OptimizerParams>(raw));
                break;
            case TrainingKernel.OptimizerUpdate:
                OptimizerUpdate(dev, As<TParams, OptimizerParams>(raw));
                break;
            case TrainingKernel.SquaredNormPartials:
                SquaredNormPartials(dev, cfg, As<TParams, SquaredNormParams>(raw));
                break;
            case TrainingKernel.SquaredNormFinish:
                SquaredNormFinish(dev, As<TParams, SquaredNormParams>(raw));
                break;
            case TrainingKernel.LossPointwise:
                LossPointwise(dev, cfg, As<TParams, LossParams>(raw));
                break;
            case TrainingKernel.LossFinish:
                LossFinish(dev, As<TParams, LossParams>(raw));
                break;
            default:
                throw new NotSupportedException(kernel.ToString());
        }
    }

    private static TOut As<TIn, TOut>(TIn value) where TIn : unmanaged where TOut : unmanaged
    {
        if (Unsafe.SizeOf<TIn>() != Unsafe.SizeOf<TOut>())
            throw new InvalidOperationException($"kernel launched with {typeof(TIn).Name}, expects {typeof(TOut).Name}");
        return Unsafe.As<TIn, TOut>(ref value);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Step kernels: grid (ceil(H / block), B, D).

    private static void Step(EmulatedBackend dev, TrainingKernel kernel, LaunchConfig cfg, RnnStepParams p)
    {
        if (cfg.Grid.Z != (uint)p.Dirs || cfg.Grid.Y != (uint)p.Batch || (long)cfg.Grid.X * cfg.Block.X < p.Hidden || cfg.Block.Y != 1)
            throw new InvalidOperationException($"step launch {cfg} does not cover D={p.Dirs}, B={p.Batch}, H={p.Hidden}");
        for (int d = 0; d < cfg.Grid.Z; d++)
            for (int b = 0; b < cfg.Grid.Y; b++)
                for (int j = 0; j < cfg.Grid.X * cfg.Block.X; j++)
                {
                    if (j >= p.Hidden)
                        continue;
                    switch (kernel)
                    {
                        case TrainingKernel.LstmForwardStep: LstmForward(dev, p, d, b, j, false); break;
                        case TrainingKernel.LstmForwardStepGeneral: LstmForward(dev, p, d, b, j, true); break;
                        case TrainingKernel.GruForwardStep: GruForward(dev, p, d, b, j, false); break;
                        case TrainingKernel.GruForwardStepGeneral: GruForward(dev, p, d, b, j, true); break;
                        case TrainingKernel.GruForwardRz: GruForwardRz(dev, p, d, b, j, false); break;
                        case TrainingKernel.GruForwardRzGeneral: GruForwardRz(dev, p, d, b, j, true); break;
                        case TrainingKernel.GruForwardN: GruForwardN(dev, p, d, b, j, false); break;
                        case TrainingKernel.GruForwardNGeneral: GruForwardN(dev, p, d, b, j, true); break;
                        case TrainingKernel.LstmBackwardStep: LstmBackward(dev, p, d, b, j, false); break;
                        case TrainingKernel.LstmBackwardStepGeneral: LstmBackward(dev, p, d, b, j, true); break;
                        case TrainingKernel.GruBackwardStep: GruBackward(dev, p, d, b, j, false); break;
                        case TrainingKernel.GruBackwardStepGeneral: GruBackward(dev, p, d, b, j, true); break;
                        case TrainingKernel.GruBackwardZn: GruBackwardZn(dev, p, d, b, j, false); break;
                        case TrainingKernel.GruBackwardZnGeneral: GruBackwardZn(dev, p, d, b, j, true); break;
                        case TrainingKernel.GruBackwardR: GruBackwardR(dev, p, d, b, j, false); break;
                        case TrainingKernel.GruBackwardRGeneral: GruBackwardR(dev, p, d, b, j, true); break;
                    }
                }
    }

    private static int Length(EmulatedBackend dev, in RnnStepParams p, int b) =>
        p.Lengths != 0 ? dev.Int(p.Lengths, b) : p.Steps;

    private static bool Reverse(in RnnStepParams p, int d) => d == 1 || ((int)p.Flags & ReverseFlag) != 0;

    private static float Sigmoid(float x) => 1.0f / (1.0f + MathF.Exp(-x));

    public static float Act(int kind, float alpha, float beta, float x) => kind switch
    {
        0 => Sigmoid(x),
        1 => MathF.Tanh(x),
        2 => x > 0 ? x : 0,
        3 => alpha * x + beta,
        4 => x >= 0 ? x : alpha * x,
        5 => x >= alpha ? x : 0,
        6 => alpha * MathF.Tanh(beta * x),
        7 => MathF.Min(MathF.Max(alpha * x + beta, 0), 1),
        8 => x >= 0 ? x : alpha * (MathF.Exp(x) - 1),
        9 => x / (1 + MathF.Abs(x)),
        10 => x > 30 ? x : MathF.Log(1 + MathF.Exp(x)),
        _ => x,
    };

    public static float ActGrad(int kind, float alpha, float beta, float x)
    {
        switch (kind)
        {
            case 0: { float s = Sigmoid(x); return s * (1 - s); }
            case 1: { float t = MathF.Tanh(x); return 1 - t * t; }
            case 2: return x > 0 ? 1 : 0;
            case 3: return alpha;
            case 4: return x >= 0 ? 1 : alpha;
            case 5: return x >= alpha ? 1 : 0;
            case 6: { float t = MathF.Tanh(beta * x); return alpha * beta * (1 - t * t); }
            case 7: { float v = alpha * x + beta; return v > 0 && v < 1 ? alpha : 0; }
            case 8: return x >= 0 ? 1 : alpha * MathF.Exp(x);
            case 9: { float dd = 1 + MathF.Abs(x); return 1 / (dd * dd); }
            case 10: return Sigmoid(x);
            default: return 1;
        }
    }

    private static float Clip(float x, float limit, bool on) => on ? (x > limit ? limit : x < -limit ? -limit : x) : x;

    private static float ClipGrad(float x, float limit, bool on) => on && MathF.Abs(x) > limit ? 0 : 1;

    private static unsafe float Gate(in RnnStepParams p, int d, int k, float a)
    {
        int i = d * 3 + k;
        fixed (RnnStepParams* q = &p)
            return Act(q->ActKind[i], q->ActAlpha[i], q->ActBeta[i], Clip(a, p.Clip, ((int)p.Flags & ClipFlag) != 0));
    }

    private static unsafe float GateGrad(in RnnStepParams p, int d, int k, float a)
    {
        int i = d * 3 + k;
        bool on = ((int)p.Flags & ClipFlag) != 0;
        fixed (RnnStepParams* q = &p)
            return ActGrad(q->ActKind[i], q->ActAlpha[i], q->ActBeta[i], Clip(a, p.Clip, on)) * ClipGrad(a, p.Clip, on);
    }

    private static unsafe float HAct(in RnnStepParams p, int d, float c, bool grad)
    {
        int i = d * 3 + 2;
        fixed (RnnStepParams* q = &p)
            return grad ? ActGrad(q->ActKind[i], q->ActAlpha[i], q->ActBeta[i], c) : Act(q->ActKind[i], q->ActAlpha[i], q->ActBeta[i], c);
    }

    private static void LstmForward(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        long gh = 4L * H;
        long row = ((long)t * p.Batch + b) * D + d;
        ulong gates = p.Gates;
        long g0 = row * gh;
        long yidx = ((long)t * p.Batch + b) * ((long)D * H) + (long)d * H + j;
        if (t >= Length(m, p, b))
        {
            for (int k = 0; k < 4; k++)
            {
                m.At(gates, g0 + k * H + j) = 0;
                if (general)
                    m.At(p.Pre, g0 + k * H + j) = 0;
            }
            m.At(p.Cells, row * H + j) = 0;
            m.At(p.Y, yidx) = 0;
            return;
        }
        long state = ((long)d * p.Batch + b) * H + j;
        long hr = ((long)d * p.Batch + b) * gh;
        long bias = d * gh;
        float ai = m.At(gates, g0 + j) + m.At(p.Bw, bias + j) + m.At(p.Br, bias + j) + m.At(p.Scratch, hr + j);
        float af = m.At(gates, g0 + H + j) + m.At(p.Bw, bias + H + j) + m.At(p.Br, bias + H + j) + m.At(p.Scratch, hr + H + j);
        float ag = m.At(gates, g0 + 2 * H + j) + m.At(p.Bw, bias + 2 * H + j) + m.At(p.Br, bias + 2 * H + j) + m.At(p.Scratch, hr + 2 * H + j);
        float ao = m.At(gates, g0 + 3 * H + j) + m.At(p.Bw, bias + 3 * H + j) + m.At(p.Br, bias + 3 * H + j) + m.At(p.Scratch, hr + 3 * H + j);
        float cPrev = m.At(p.C, state);
        bool peep = ((int)p.Flags & Peepholes) != 0;
        long pp = (long)d * 3 * H;
        if (peep)
        {
            ai += m.At(p.Peep, pp + j) * cPrev;
            af += m.At(p.Peep, pp + H + j) * cPrev;
        }
        bool inputForget = ((int)p.Flags & InputForget) != 0;
        float i, f, g;
        if (general)
        {
            i = Gate(p, d, 0, ai);
            f = inputForget ? 1 - i : Gate(p, d, 0, af);
            g = Gate(p, d, 1, ag);
        }
        else
        {
            i = Sigmoid(ai);
            f = inputForget ? 1 - i : Sigmoid(af);
            g = MathF.Tanh(ag);
        }
        float c = f * cPrev + i * g;
        if (peep)
            ao += m.At(p.Peep, pp + 2 * H + j) * c;
        float o, h;
        if (general)
        {
            o = Gate(p, d, 0, ao);
            h = o * HAct(p, d, c, false);
            m.At(p.Pre, g0 + j) = ai;
            m.At(p.Pre, g0 + H + j) = af;
            m.At(p.Pre, g0 + 2 * H + j) = ag;
            m.At(p.Pre, g0 + 3 * H + j) = ao;
        }
        else
        {
            o = Sigmoid(ao);
            h = o * MathF.Tanh(c);
        }
        m.At(gates, g0 + j) = i;
        m.At(gates, g0 + H + j) = f;
        m.At(gates, g0 + 2 * H + j) = g;
        m.At(gates, g0 + 3 * H + j) = o;
        m.At(p.Cells, row * H + j) = c;
        m.At(p.Y, yidx) = h;
        m.At(p.H, state) = h;
        m.At(p.C, state) = c;
    }

    private static void GruForward(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        long gh = 3L * H;
        long row = ((long)t * p.Batch + b) * D + d;
        long g0 = row * gh;
        long yidx = ((long)t * p.Batch + b) * ((long)D * H) + (long)d * H + j;
        if (t >= Length(m, p, b))
        {
            for (int k = 0; k < 3; k++)
            {
                m.At(p.Gates, g0 + k * H + j) = 0;
                if (general)
                    m.At(p.Pre, g0 + k * H + j) = 0;
            }
            m.At(p.Extra, row * H + j) = 0;
            m.At(p.Y, yidx) = 0;
            return;
        }
        long state = ((long)d * p.Batch + b) * H + j;
        long hr = ((long)d * p.Batch + b) * gh;
        long bias = d * gh;
        float ar = m.At(p.Gates, g0 + j) + m.At(p.Bw, bias + j) + m.At(p.Br, bias + j) + m.At(p.Scratch, hr + j);
        float az = m.At(p.Gates, g0 + H + j) + m.At(p.Bw, bias + H + j) + m.At(p.Br, bias + H + j) + m.At(p.Scratch, hr + H + j);
        float r = general ? Gate(p, d, 0, ar) : Sigmoid(ar);
        float z = general ? Gate(p, d, 0, az) : Sigmoid(az);
        float q = m.At(p.Scratch, hr + 2 * H + j) + m.At(p.Br, bias + 2 * H + j);
        float an = m.At(p.Gates, g0 + 2 * H + j) + m.At(p.Bw, bias + 2 * H + j) + r * q;
        float n = general ? Gate(p, d, 1, an) : MathF.Tanh(an);
        float hPrev = m.At(p.H, state);
        float h = (1 - z) * n + z * hPrev;
        if (general)
        {
            m.At(p.Pre, g0 + j) = ar;
            m.At(p.Pre, g0 + H + j) = az;
            m.At(p.Pre, g0 + 2 * H + j) = an;
        }
        m.At(p.Gates, g0 + j) = r;
        m.At(p.Gates, g0 + H + j) = z;
        m.At(p.Gates, g0 + 2 * H + j) = n;
        m.At(p.Extra, row * H + j) = q;
        m.At(p.Y, yidx) = h;
        m.At(p.H, state) = h;
    }

    private static void GruForwardRz(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        long gh = 3L * H;
        long row = ((long)t * p.Batch + b) * D + d;
        long g0 = row * gh;
        if (t >= Length(m, p, b))
        {
            m.At(p.Gates, g0 + j) = 0;
            m.At(p.Gates, g0 + H + j) = 0;
            if (general)
            {
                m.At(p.Pre, g0 + j) = 0;
                m.At(p.Pre, g0 + H + j) = 0;
            }
            m.At(p.Extra, row * H + j) = 0;
            return;
        }
        long state = ((long)d * p.Batch + b) * H + j;
        long hr = ((long)d * p.Batch + b) * gh;
        long bias = d * gh;
        float ar = m.At(p.Gates, g0 + j) + m.At(p.Bw, bias + j) + m.At(p.Br, bias + j) + m.At(p.Scratch, hr + j);
        float az = m.At(p.Gates, g0 + H + j) + m.At(p.Bw, bias + H + j) + m.At(p.Br, bias + H + j) + m.At(p.Scratch, hr + H + j);
        float r, z;
        if (general)
        {
            r = Gate(p, d, 0, ar);
            z = Gate(p, d, 0, az);
            m.At(p.Pre, g0 + j) = ar;
            m.At(p.Pre, g0 + H + j) = az;
        }
        else
        {
            r = Sigmoid(ar);
            z = Sigmoid(az);
        }
        m.At(p.Gates, g0 + j) = r;
        m.At(p.Gates, g0 + H + j) = z;
        m.At(p.Extra, row * H + j) = r * m.At(p.H, state);
    }

    private static void GruForwardN(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        long gh = 3L * H;
        long row = ((long)t * p.Batch + b) * D + d;
        long g0 = row * gh;
        long yidx = ((long)t * p.Batch + b) * ((long)D * H) + (long)d * H + j;
        if (t >= Length(m, p, b))
        {
            m.At(p.Gates, g0 + 2 * H + j) = 0;
            if (general)
                m.At(p.Pre, g0 + 2 * H + j) = 0;
            m.At(p.Y, yidx) = 0;
            return;
        }
        long state = ((long)d * p.Batch + b) * H + j;
        long hr = ((long)d * p.Batch + b) * gh;
        float an = m.At(p.Gates, g0 + 2 * H + j) + m.At(p.Bw, d * gh + 2 * H + j) + m.At(p.Br, d * gh + 2 * H + j) + m.At(p.Scratch, hr + 2 * H + j);
        float n;
        if (general)
        {
            n = Gate(p, d, 1, an);
            m.At(p.Pre, g0 + 2 * H + j) = an;
        }
        else
        {
            n = MathF.Tanh(an);
        }
        float z = m.At(p.Gates, g0 + H + j);
        float h = (1 - z) * n + z * m.At(p.H, state);
        m.At(p.Gates, g0 + 2 * H + j) = n;
        m.At(p.Y, yidx) = h;
        m.At(p.H, state) = h;
    }

    private static float PrevState(EmulatedBackend m, in RnnStepParams p, ulong history, long stride, long offset, ulong initial, int d, int b, int j, int t, int len)
    {
        bool rev = Reverse(p, d);
        bool first = rev ? t + 1 >= len : t == 0;
        if (first)
            return initial != 0 ? m.At(initial, ((long)d * p.Batch + b) * p.Hidden + j) : 0;
        int tp = rev ? t + 1 : t - 1;
        return m.At(history, ((long)tp * p.Batch + b) * stride + offset);
    }

    private static void LstmBackward(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        int len = Length(m, p, b);
        long row = ((long)t * p.Batch + b) * D + d;
        long da = row * p.DaWidth;
        if (t >= len)
        {
            for (int k = 0; k < 4; k++)
                m.At(p.Da, da + k * H + j) = 0;
            return;
        }
        long state = ((long)d * p.Batch + b) * H + j;
        long yidx = ((long)t * p.Batch + b) * ((long)D * H) + (long)d * H + j;
        float dh = m.At(p.Dh, state) + (p.Dy != 0 ? m.At(p.Dy, yidx) : 0);
        float dc = m.At(p.Dc, state);
        long g0 = row * 4L * H;
        float i = m.At(p.Gates, g0 + j), f = m.At(p.Gates, g0 + H + j), g = m.At(p.Gates, g0 + 2 * H + j), o = m.At(p.Gates, g0 + 3 * H + j);
        float c = m.At(p.Cells, row * H + j);
        float cPrev = PrevState(m, p, p.Cells, (long)D * H, (long)d * H + j, p.C0, d, b, j, t, len);
        float dao, dct;
        if (general)
        {
            float hc = HAct(p, d, c, false), dhc = HAct(p, d, c, true);
            dao = dh * hc * GateGrad(p, d, 0, m.At(p.Pre, g0 + 3 * H + j));
            dct = dc + dh * o * dhc;
        }
        else
        {
            float tc = MathF.Tanh(c);
            dao = dh * tc * (o * (1 - o));
            dct = dc + dh * o * (1 - tc * tc);
        }
        bool peep = ((int)p.Flags & Peepholes) != 0;
        long pp = (long)d * 3 * H;
        long acc = ((long)d * p.Batch + b) * 3L * H;
        if (peep)
        {
            dct += dao * m.At(p.Peep, pp + 2 * H + j);
            m.At(p.PeepAcc, acc + 2 * H + j) += dao * c;
        }
        float di = dct * g, df = dct * cPrev, dg = dct * i, dcp = dct * f, daf = 0;
        if (((int)p.Flags & InputForget) != 0)
            di -= df;
        else
            daf = df * (general ? GateGrad(p, d, 0, m.At(p.Pre, g0 + H + j)) : f * (1 - f));
        float dai = di * (general ? GateGrad(p, d, 0, m.At(p.Pre, g0 + j)) : i * (1 - i));
        float dag = dg * (general ? GateGrad(p, d, 1, m.At(p.Pre, g0 + 2 * H + j)) : 1 - g * g);
        if (peep)
        {
            dcp += dai * m.At(p.Peep, pp + j) + daf * m.At(p.Peep, pp + H + j);
            m.At(p.PeepAcc, acc + j) += dai * cPrev;
            m.At(p.PeepAcc, acc + H + j) += daf * cPrev;
        }
        m.At(p.Da, da + j) = dai;
        m.At(p.Da, da + H + j) = daf;
        m.At(p.Da, da + 2 * H + j) = dag;
        m.At(p.Da, da + 3 * H + j) = dao;
        m.At(p.Dc, state) = dcp;
        m.At(p.Dh, state) = 0;
    }

    private static void GruBackward(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        int len = Length(m, p, b);
        long row = ((long)t * p.Batch + b) * D + d;
        long da = row * p.DaWidth;
        if (t >= len)
        {
            for (int k = 0; k < 4; k++)
                m.At(p.Da, da + k * H + j) = 0;
            return;
        }
        long state = ((long)d * p.Batch + b) * H + j;
        long yidx = ((long)t * p.Batch + b) * ((long)D * H) + (long)d * H + j;
        float dh = m.At(p.Dh, state) + (p.Dy != 0 ? m.At(p.Dy, yidx) : 0);
        long g0 = row * 3L * H;
        float r = m.At(p.Gates, g0 + j), z = m.At(p.Gates, g0 + H + j), n = m.At(p.Gates, g0 + 2 * H + j);
        float q = m.At(p.Extra, row * H + j);
        float hPrev = PrevState(m, p, p.Y, (long)D * H, (long)d * H + j, p.H0, d, b, j, t, len);
        float dz = dh * (hPrev - n);
        float dn = dh * (1 - z);
        float daz = dz * (general ? GateGrad(p, d, 0, m.At(p.Pre, g0 + H + j)) : z * (1 - z));
        float dan = dn * (general ? GateGrad(p, d, 1, m.At(p.Pre, g0 + 2 * H + j)) : 1 - n * n);
        float dq = dan * r;
        float dar = dan * q * (general ? GateGrad(p, d, 0, m.At(p.Pre, g0 + j)) : r * (1 - r));
        m.At(p.Da, da + j) = dar;
        m.At(p.Da, da + H + j) = daz;
        m.At(p.Da, da + 2 * H + j) = dq;
        m.At(p.Da, da + 3 * H + j) = dan;
        m.At(p.Dh, state) = dh * z;
    }

    private static void GruBackwardZn(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        int len = Length(m, p, b);
        long row = ((long)t * p.Batch + b) * D + d;
        long da = row * p.DaWidth;
        if (t >= len)
        {
            m.At(p.Da, da + j) = 0;
            m.At(p.Da, da + H + j) = 0;
            m.At(p.Da, da + 2 * H + j) = 0;
            return;
        }
        long state = ((long)d * p.Batch + b) * H + j;
        long yidx = ((long)t * p.Batch + b) * ((long)D * H) + (long)d * H + j;
        float dh = m.At(p.Dh, state) + (p.Dy != 0 ? m.At(p.Dy, yidx) : 0);
        long g0 = row * 3L * H;
        float z = m.At(p.Gates, g0 + H + j), n = m.At(p.Gates, g0 + 2 * H + j);
        float hPrev = PrevState(m, p, p.Y, (long)D * H, (long)d * H + j, p.H0, d, b, j, t, len);
        float dz = dh * (hPrev - n);
        float dn = dh * (1 - z);
        m.At(p.Da, da + H + j) = dz * (general ? GateGrad(p, d, 0, m.At(p.Pre, g0 + H + j)) : z * (1 - z));
        m.At(p.Da, da + 2 * H + j) = dn * (general ? GateGrad(p, d, 1, m.At(p.Pre, g0 + 2 * H + j)) : 1 - n * n);
        m.At(p.Dh, state) = dh * z;
    }

    private static void GruBackwardR(EmulatedBackend m, in RnnStepParams p, int d, int b, int j, bool general)
    {
        int H = p.Hidden, D = p.Dirs;
        int t = d == 0 ? p.T0 : p.T1;
        int len = Length(m, p, b);
        if (t >= len)
            return;
        long row = ((long)t * p.Batch + b) * D + d;
        long state = ((long)d * p.Batch + b) * H + j;
        float drh = m.At(p.Scratch, state);
        float r = m.At(p.Gates, row * 3L * H + j);
        float hPrev = PrevState(m, p, p.Y, (long)D * H, (long)d * H + j, p.H0, d, b, j, t, len);
        float dar = drh * hPrev * (general ? GateGrad(p, d, 0, m.At(p.Pre, row * 3L * H + j)) : r * (1 - r));
        m.At(p.Da, row * p.DaWidth + j) = dar;
        m.At(p.Dh, state) += drh * r;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Reductions and elementwise kernels.

    private static void Gather(EmulatedBackend m, LaunchConfig cfg, GatherParams p)
    {
        long total = (long)p.Batch * p.Width;
        if (cfg.TotalThreads < total)
            throw new InvalidOperationException($"gather launch {cfg} does not cover {total} elements");
        for (long idx = 0; idx < total; idx++)
        {
            int b = (int)(idx / p.Width);
            int c = (int)(idx - (long)b * p.Width);
            int len = p.Lengths != 0 ? m.Int(p.Lengths, b) : p.Steps;
            if (len <= 0)
            {
                m.At(p.Out, idx) = 0;
                continue;
            }
            int t = p.Reverse != 0 ? len - 1 : 0;
            long row = ((long)t * p.Batch + b) * p.Dirs + p.Direction;
            m.At(p.Out, idx) = m.At(p.Da, row * p.Width + c);
        }
    }

    private static void BiasGrad(EmulatedBackend m, LaunchConfig cfg, BiasGradParams p)
    {
        if ((long)cfg.Grid.X * 32 < p.Width || cfg.Block.X != 32 || cfg.Block.Y != 8)
            throw new InvalidOperationException($"column launch {cfg} does not cover {p.Width} columns");
        Span<float> lanes = stackalloc float[8];
        for (int c = 0; c < p.Width; c++)
        {
            // Same order as the kernel: 8 row lanes, then their sum.
            lanes.Clear();
            for (int y = 0; y < 8; y++)
                for (long r = y; r < p.Rows; r += 8)
                    lanes[y] += m.At(p.Src, r * p.RowStride + c);
            float total = 0;
            for (int y = 0; y < 8; y++)
                total += lanes[y];
            if (p.Mode == 0)
            {
                m.At(p.Dbw, c) += total;
                if (p.Dbr != 0)
                    m.At(p.Dbr, c) += total;
                continue;
            }
            int h = p.Hidden;
            if (c < 2 * h)
            {
                m.At(p.Dbw, c) += total;
                m.At(p.Dbr, c) += total;
            }
            else if (c < 3 * h)
            {
                m.At(p.Dbr, c) += total;
            }
            else
            {
                m.At(p.Dbw, c - h) += total;
            }
        }
    }

    private static void PeepholeGrad(EmulatedBackend m, LaunchConfig cfg, PeepholeGradParams p)
    {
        long width = 3L * p.Hidden;
        if (cfg.TotalThreads < width * p.Dirs)
            throw new InvalidOperationException($"peephole launch {cfg} does not cover {width * p.Dirs}");
        for (long idx = 0; idx < width * p.Dirs; idx++)
        {
            int d = (int)(idx / width);
            long k = idx - d * width;
            float s = 0;
            for (int b = 0; b < p.Batch; b++)
                s += m.At(p.Acc, ((long)d * p.Batch + b) * width + k);
            m.At(p.Dp, idx) += s;
        }
    }

    private static void Dropout(EmulatedBackend m, DropoutParams p)
    {
        for (long i = 0; i < p.Count; i++)
        {
            float keep = p.P >= 1 || DropoutMask.Uniform(p.Seed, i) < p.P ? 0 : p.Scale;
            m.At(p.Dst, i) = m.At(p.Src, i) * keep;
        }
    }

    private static void AddBias(EmulatedBackend m, AddBiasParams p)
    {
        for (long i = 0; i < p.Rows * p.Cols; i++)
            m.At(p.X, i) += m.At(p.Bias, i % p.Cols);
    }

    private static void OptimizerPrepare(EmulatedBackend m, OptimizerParams p)
    {
        ref var s = ref m.Scalars(p.Scalars);
        FusedOptimizerMath.Prepare(p, ref s);
    }

    private static void OptimizerUpdate(EmulatedBackend m, OptimizerParams p)
    {
        var s = m.Scalars(p.Scalars);
        int n = checked((int)p.Count);
        Span<float> param = m.Floats(p.Param, n, "optimizer parameters");
        ReadOnlySpan<float> grad = m.Floats(p.Grad, n, "optimizer gradients");
        Span<float> mm = p.M != 0 ? m.Floats(p.M, n, "optimizer m") : default;
        Span<float> vv = p.V != 0 ? m.Floats(p.V, n, "optimizer v") : default;
        FusedOptimizerMath.Update(p, s, param, grad, mm, vv);
    }

    private static void SquaredNormPartials(EmulatedBackend m, LaunchConfig cfg, SquaredNormParams p)
    {
        if (cfg.Grid.X != p.Blocks || cfg.Block.X != TrainingLaunch.ReduceThreads)
            throw new InvalidOperationException($"norm launch {cfg} does not match {p.Blocks} blocks");
        var partials = new double[p.Blocks];
        for (long i = 0; i < p.Count; i++)
        {
            double v = m.At(p.X, i);
            partials[(i / TrainingLaunch.ReduceThreads) % p.Blocks] += v * v;
        }
        for (int k = 0; k < p.Blocks; k++)
            m.Double(p.Partials, k) = partials[k];
    }

    private static void SquaredNormFinish(EmulatedBackend m, SquaredNormParams p)
    {
        double sum = 0;
        for (int k = 0; k < p.Blocks; k++)
            sum += m.Double(p.Partials, k);
        m.Scalars(p.Scalars).GradSq = sum;
    }

    private static void LossPointwise(EmulatedBackend m, LaunchConfig cfg, LossParams p)
    {
        if (cfg.Grid.X != p.Blocks)
            throw new InvalidOperationException($"loss launch {cfg} does not match {p.Blocks} blocks");
        var partials = new double[p.Blocks];
        for (long i = 0; i < p.Count; i++)
        {
            float d = m.At(p.Pred, i) - m.At(p.Target, i);
            float value, deriv;
            switch (p.Kind)
            {
                case DeviceLossKind.Mse:
                    value = d * d;
                    deriv = d + d;
                    break;
                case DeviceLossKind.L1:
                    value = MathF.Abs(d);
                    deriv = d > 0 ? 1 : d < 0 ? -1 : 0;
                    break;
                default:
                    float a = MathF.Abs(d);
                    value = a <= p.Delta ? 0.5f * d * d : p.Delta * (a - 0.5f * p.Delta);
                    deriv = d < -p.Delta ? -p.Delta : d > p.Delta ? p.Delta : d;
                    break;
            }
            m.At(p.Grad, i) = p.GradScale * deriv;
            partials[(i / TrainingLaunch.ReduceThreads) % p.Blocks] += value;
        }
        for (int k = 0; k < p.Blocks; k++)
            m.Double(p.Partials, k) = partials[k];
    }

    private static void LossFinish(EmulatedBackend m, LossParams p)
    {
        double sum = 0;
        for (int k = 0; k < p.Blocks; k++)
            sum += m.Double(p.Partials, k);
        ref var s = ref m.Scalars(p.Scalars);
        double loss = p.Mean != 0 ? sum / p.Count : sum;
        s.Loss = loss;
        if (p.Accumulate != 0)
        {
            s.LossSum += loss;
            s.LossCount += 1;
        }
    }
}
