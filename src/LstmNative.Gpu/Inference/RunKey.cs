namespace LstmNative.Gpu.Inference;

/// <summary>What a call brings and wants; part of the key of its captured graph.</summary>
[Flags]
internal enum RunFlags
{
    None = 0,

    /// <summary>A streaming step: T = 1, the kept state is the initial one, the output is the last layer's h.</summary>
    Step = 1 << 0,

    /// <summary>Initial hidden states come from the caller (else zeros).</summary>
    InitialH = 1 << 1,

    /// <summary>Initial cell states come from the caller (else zeros).</summary>
    InitialC = 1 << 2,

    /// <summary>Per-row sequence lengths are given.</summary>
    Lengths = 1 << 3,

    /// <summary>Some row is shorter than T: the output is zeroed first.</summary>
    ShortRows = 1 << 4,

    /// <summary>The output is copied back.</summary>
    WantY = 1 << 5,

    /// <summary>The final hidden states are copied back.</summary>
    WantH = 1 << 6,

    /// <summary>The final cell states are copied back.</summary>
    WantC = 1 << 7,

    /// <summary>Benchmarks: the input is already on the device and nothing is copied back (device time of the forward alone).</summary>
    Resident = 1 << 8,
}

/// <summary>The shape of a call: a graph replays exactly one of these.</summary>
/// <param name="Steps">T.</param>
/// <param name="Batch">B.</param>
/// <param name="Flags">Inputs and outputs.</param>
internal readonly record struct RunKey(int Steps, int Batch, RunFlags Flags)
{
    public bool Has(RunFlags flag) => (Flags & flag) == flag;

    public override string ToString() => $"T={Steps} B={Batch} {Flags}";
}
