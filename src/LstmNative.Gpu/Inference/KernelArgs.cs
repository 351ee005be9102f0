using System.Runtime.InteropServices;
using LstmNative.Model;

namespace LstmNative.Gpu.Inference;

// Field-for-field mirrors of the argument blocks in kernels/rnn_common.cuh. Each is passed by value as the kernel's
// only parameter; the sizes are pinned by static_asserts there and by the host tests here. Pointers are device
// addresses (ulong), 0 for null.

/// <summary>RnnActivation: one activation function with its ONNX parameters (12 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KernelActivation
{
    public int Kind;
    public float Alpha;
    public float Beta;

    public static KernelActivation From(Activation a) => new() { Kind = (int)a.Kind, Alpha = (float)a.Alpha, Beta = (float)a.Beta };
}

/// <summary>RnnActivations: f, g, h of one direction (36 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KernelActivations
{
    public KernelActivation F;
    public KernelActivation G;
    public KernelActivation H;

    /// <summary>The direction's activations (GRU has no h; it stays the default tanh, unused).</summary>
    public static KernelActivations For(RnnLayerOptions options, int direction) => new()
    {
        F = KernelActivation.From(options.GetActivation(direction, 0)),
        G = KernelActivation.From(options.GetActivation(direction, 1)),
        H = KernelActivation.From(options.Cell == RnnCellType.Lstm ? options.GetActivation(direction, 2) : Activation.Tanh),
    };
}

/// <summary>RnnStepArgs: one step of one direction of the standard algorithm (192 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct StepKernelArgs
{
    public ulong Xw;
    public ulong Hr;
    public ulong Bw;
    public ulong Br;
    public ulong Peep;
    public ulong Lengths;
    public ulong H;
    public ulong C;
    public ulong Y;
    public ulong Rh;
    public long XwStrideT;
    public long XwStrideB;
    public long YStrideT;
    public long YStrideB;
    public int HrLd;
    public int LdH;
    public int LdC;
    public int Batch;
    public int Hidden;
    public int Steps;
    public int K;
    public int Reverse;
    public float Clip;
    public int InputForget;
    public KernelActivations Act;
}

/// <summary>RnnPersistentDirection: one direction's pointers in the persistent launch (120 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PersistentDirectionArgs
{
    public ulong Xw;
    public ulong R;
    public ulong Bw;
    public ulong Br;
    public ulong Peep;
    public ulong H;
    public ulong C;
    public ulong Y;
    public ulong Exchange;
    public ulong Barrier;
    public KernelActivations Act;
    public int Reverse;
}

/// <summary>RnnPersistentArgs: the whole persistent launch (328 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PersistentKernelArgs
{
    public PersistentDirectionArgs Dir0;
    public PersistentDirectionArgs Dir1;
    public ulong Lengths;
    public long XwStrideT;
    public long XwStrideB;
    public long YStrideT;
    public long YStrideB;
    public int LdState;
    public int Batch;
    public int Hidden;
    public int Steps;
    public int Cell;
    public int LinearBeforeReset;
    public int InputForget;
    public float Clip;
    public int UnitsPerBlock;
    public int BlocksPerDirection;
    public int PaddedHidden;
    public int BarrierMode;
}

/// <summary>The names of the inference kernels in the embedded module (kernels/rnn_forward.cu, kernels/rnn_persistent.cu).</summary>
public static class InferenceKernelNames
{
    /// <summary>Standard algorithm: one LSTM step after the recurrent GEMM.</summary>
    public const string LstmStep = "rnn_lstm_step";

    /// <summary>Standard algorithm: one GRU step, linear_before_reset = 1.</summary>
    public const string GruStep = "rnn_gru_step";

    /// <summary>Standard algorithm: GRU linear_before_reset = 0, r and z (before the candidate GEMM).</summary>
    public const string GruStepReset = "rnn_gru_step_reset";

    /// <summary>Standard algorithm: GRU linear_before_reset = 0, candidate and state update.</summary>
    public const string GruStepUpdate = "rnn_gru_step_update";

    /// <summary>Persistent kernel, batch bucket 1.</summary>
    public const string PersistentB1 = "rnn_persistent_b1";

    /// <summary>Persistent kernel, batch bucket 2.</summary>
    public const string PersistentB2 = "rnn_persistent_b2";

    /// <summary>Persistent kernel, batch bucket 4.</summary>
    public const string PersistentB4 = "rnn_persistent_b4";

    /// <summary>Persistent kernel, batch bucket 8.</summary>
    public const string PersistentB8 = "rnn_persistent_b8";

    /// <summary>Every inference kernel.</summary>
    public static IReadOnlyList<string> All { get; } =
        [LstmStep, GruStep, GruStepReset, GruStepUpdate, PersistentB1, PersistentB2, PersistentB4, PersistentB8];
}
