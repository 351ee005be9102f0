using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LstmNative.Gpu.Training;

// Host mirrors of the parameter structs in kernels/train_common.cuh. Each kernel takes one of these by value.
// Field order, types and sizes must match the C structs exactly: device pointers are ulong, C ints are int,
// "long long" is long. The C side pins sizes and offsets with static_assert; KernelParamsLayoutTests pins these.

/// <summary>Flags of <see cref="RnnStepParams.Flags"/> (LNTR_FLAG_* in train_common.cuh).</summary>
[Flags]
internal enum RnnStepFlags
{
    None = 0,
    Peepholes = 1,
    InputForget = 2,
    Clip = 4,
    Reverse = 8,
}

/// <summary>lntr_rnn_step: one recurrent step of one layer, both directions.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RnnStepParams
{
    public const int Size = 264;

    public ulong Gates;
    public ulong Pre;
    public ulong Cells;
    public ulong Extra;
    public ulong Y;
    public ulong H;
    public ulong C;
    public ulong H0;
    public ulong C0;
    public ulong Scratch;
    public ulong Bw;
    public ulong Br;
    public ulong Peep;
    public ulong Lengths;
    public ulong Da;
    public ulong Dy;
    public ulong Dh;
    public ulong Dc;
    public ulong PeepAcc;
    public int Batch;
    public int Hidden;
    public int Dirs;
    public int Steps;
    public int T0;
    public int T1;
    public int DaWidth;
    public RnnStepFlags Flags;
    public float Clip;
    public fixed int ActKind[6];
    public fixed float ActAlpha[6];
    public fixed float ActBeta[6];
    public int Reserved;
}

/// <summary>lntr_gather: the rows of da whose h_prev is h0.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GatherParams
{
    public const int Size = 48;

    public ulong Da;
    public ulong Out;
    public ulong Lengths;
    public int Batch;
    public int Dirs;
    public int Direction;
    public int Steps;
    public int Width;
    public int Reverse;
}

/// <summary>lntr_bias_grad: column sums into bias gradients.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BiasGradParams
{
    public const int Size = 48;

    public ulong Src;
    public ulong Dbw;
    public ulong Dbr;
    public long Rows;
    public int RowStride;
    public int Width;
    public int Mode;
    public int Hidden;
}

/// <summary>lntr_peephole_grad: peephole gradients from the per-thread accumulators.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PeepholeGradParams
{
    public const int Size = 32;

    public ulong Acc;
    public ulong Dp;
    public int Batch;
    public int Dirs;
    public int Hidden;
    public int Reserved;
}

/// <summary>lntr_dropout: inverted dropout with a counter-based mask.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DropoutParams
{
    public const int Size = 40;

    public ulong Src;
    public ulong Dst;
    public long Count;
    public ulong Seed;
    public float P;
    public float Scale;
}

/// <summary>lntr_add_bias: x[r, c] += bias[c].</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AddBiasParams
{
    public const int Size = 32;

    public ulong X;
    public ulong Bias;
    public long Rows;
    public int Cols;
    public int Reserved;
}

/// <summary>lntr_scalars: the device-resident optimizer and loss scalars.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DeviceScalars
{
    public const int Size = 72;

    public double GradSq;
    public double GradNorm;
    public double Loss;
    public double LossSum;
    public double LearningRate;
    public float StepSize;
    public float SqrtBc2;
    public float Shrink;
    public float ClipFactor;
    public int Step;
    public int LossCount;
    public int ApplyClip;
    public int Reserved;
}

/// <summary>Optimizer kind (LNTR_OPT_*).</summary>
internal enum OptimizerKind
{
    Sgd = 0,
    Adam = 1,
    AdamW = 2,
}

/// <summary>lntr_optimizer: the fused optimizer step.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OptimizerParams
{
    public const int Size = 120;

    public ulong Param;
    public ulong Grad;
    public ulong M;
    public ulong V;
    public ulong Scalars;
    public long Count;
    public double Beta1D;
    public double Beta2D;
    public double WeightDecayD;
    public double MaxNorm;
    public OptimizerKind Kind;
    public GradientClipMode ClipMode;
    public float ClipValue;
    public float Beta1;
    public float Beta2;
    public float Eps;
    public float WeightDecay;
    public float Momentum;
    public float Dampening;
    public int Nesterov;
}

/// <summary>lntr_sq_norm: the two-pass sum of squares.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SquaredNormParams
{
    public const int Size = 40;

    public ulong X;
    public ulong Partials;
    public ulong Scalars;
    public long Count;
    public int Blocks;
    public int Reserved;
}

/// <summary>lntr_loss: pointwise loss and its gradient.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LossParams
{
    public const int Size = 72;

    public ulong Pred;
    public ulong Target;
    public ulong Grad;
    public ulong Partials;
    public ulong Scalars;
    public long Count;
    public DeviceLossKind Kind;
    public int Mean;
    public float Delta;
    public float GradScale;
    public int Blocks;
    public int Accumulate;
}

/// <summary>Size checks shared by the host tests and the debug asserts.</summary>
internal static class KernelParamsLayout
{
    /// <summary>Every struct with the size its C twin has.</summary>
    public static IReadOnlyList<(string Name, int HostSize, int DeviceSize)> Sizes =>
    [
        ("lntr_rnn_step", Unsafe.SizeOf<RnnStepParams>(), RnnStepParams.Size),
        ("lntr_gather", Unsafe.SizeOf<GatherParams>(), GatherParams.Size),
        ("lntr_bias_grad", Unsafe.SizeOf<BiasGradParams>(), BiasGradParams.Size),
        ("lntr_peephole_grad", Unsafe.SizeOf<PeepholeGradParams>(), PeepholeGradParams.Size),
        ("lntr_dropout", Unsafe.SizeOf<DropoutParams>(), DropoutParams.Size),
        ("lntr_add_bias", Unsafe.SizeOf<AddBiasParams>(), AddBiasParams.Size),
        ("lntr_scalars", Unsafe.SizeOf<DeviceScalars>(), DeviceScalars.Size),
        ("lntr_optimizer", Unsafe.SizeOf<OptimizerParams>(), OptimizerParams.Size),
        ("lntr_sq_norm", Unsafe.SizeOf<SquaredNormParams>(), SquaredNormParams.Size),
        ("lntr_loss", Unsafe.SizeOf<LossParams>(), LossParams.Size),
    ];
}
