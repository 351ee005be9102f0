namespace LstmNative.PerfGate.Measurement;

/// <summary>
/// One repetition of fixed work, run on the measuring thread. <see cref="Run"/> must do the same work every call and
/// allocate nothing (a garbage collection inside a sample would be charged to the case).
/// </summary>
internal interface IGateWorkload : IDisposable
{
    /// <summary>Does one repetition.</summary>
    void Run();
}
