namespace LstmNative.Gpu.Inference;

/// <summary>What a call of <see cref="GpuRnnSession.EnqueueRun"/> takes from and gives to the staging buffers.</summary>
[Flags]
public enum GpuRunStaging
{
    /// <summary>Only the input; zero initial states, all rows of length T, no outputs copied back.</summary>
    None = 0,

    /// <summary>Initial hidden states from <see cref="GpuRnnSession.StagedHidden"/> (else zeros).</summary>
    InitialH = 1 << 0,

    /// <summary>Initial cell states from <see cref="GpuRnnSession.StagedCell"/> (else zeros).</summary>
    InitialC = 1 << 1,

    /// <summary>Per-row lengths from <see cref="GpuRnnSession.StagedLengths"/> (else all T).</summary>
    Lengths = 1 << 2,

    /// <summary>Copy the last layer's output to <see cref="GpuRnnSession.StagedOutput"/>.</summary>
    OutputY = 1 << 3,

    /// <summary>Copy the final hidden states to <see cref="GpuRnnSession.StagedHidden"/>.</summary>
    OutputH = 1 << 4,

    /// <summary>Copy the final cell states to <see cref="GpuRnnSession.StagedCell"/>.</summary>
    OutputC = 1 << 5,
}
