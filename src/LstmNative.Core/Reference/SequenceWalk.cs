namespace LstmNative.Reference;

/// <summary>
/// The order in which one direction visits the time steps of one sequence. ONNX semantics: the forward
/// direction walks 0 .. len-1; the reverse direction starts at the sequence's own last valid step, len-1 .. 0.
/// </summary>
internal static class SequenceWalk
{
    /// <summary>The time index visited at position <paramref name="k"/> of the walk.</summary>
    public static int TimeAt(int k, int length, bool reverse) => reverse ? length - 1 - k : k;
}
