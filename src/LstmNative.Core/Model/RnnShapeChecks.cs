using System.Runtime.CompilerServices;
namespace LstmNative.Model;

/// <summary>
/// Shape and length checks shared by every engine (reference, CPU, GPU), run before any work so that a bad call
/// fails the same way everywhere, with a message that says what was expected and what was found.
/// </summary>
public static class RnnShapeChecks
{
    /// <summary>
    /// Checks one layer's inputs (time-major element counts) and returns the per-row sequence lengths
    /// (all <paramref name="steps"/> when <paramref name="sequenceLengths"/> is empty).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public static int[] CheckInputs(RnnLayerOptions options, int xLength, int steps, int batch,
        ReadOnlySpan<int> sequenceLengths, int initialHLength, int initialCLength)
    {
        CheckInputs(options, xLength, steps, batch, sequenceLengths, initialHLength, initialCLength, []);
        var lengths = new int[batch];
        CheckInputs(options, xLength, steps, batch, sequenceLengths, initialHLength, initialCLength, lengths);
        return lengths;
    }

    /// <summary>
    /// The same checks without allocating: writes the per-row lengths into <paramref name="lengths"/> (at least
    /// <paramref name="batch"/> long; pass an empty span to only check).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public static void CheckInputs(RnnLayerOptions options, int xLength, int steps, int batch,
        ReadOnlySpan<int> sequenceLengths, int initialHLength, int initialCLength, Span<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (steps < 1)
            throw new ArgumentException("Expected sequence length to be larger than 0 in RNN");
        if (batch < 1)
            throw new ArgumentException($"Expected batch size to be larger than 0, got {batch}");
        long expectedX = (long)steps * batch * options.InputSize;
        if (xLength != expectedX)
            throw new ArgumentException($"input must hold [T={steps}, B={batch}, I={options.InputSize}] = {expectedX} elements, got {xLength}");
        long stateLength = (long)options.DirectionCount * batch * options.HiddenSize;
        long hiddenLength = (long)options.DirectionCount * batch * options.OutputSize;
        if (initialHLength != 0 && initialHLength != hiddenLength)
            throw new ArgumentException($"Expected hidden size ({options.DirectionCount}, {batch}, {options.OutputSize}) = {hiddenLength} elements, got {initialHLength}");
        if (initialCLength != 0 && options.Cell != RnnCellType.Lstm)
            throw new ArgumentException("GRU has no cell state, but an initial cell state was given");
        if (initialCLength != 0 && initialCLength != stateLength)
            throw new ArgumentException($"Expected cell state size ({options.DirectionCount}, {batch}, {options.HiddenSize}) = {stateLength} elements, got {initialCLength}");
        if (!sequenceLengths.IsEmpty && sequenceLengths.Length != batch)
            throw new ArgumentException($"Expected `len(lengths)` to be equal to batch_size, but got {sequenceLengths.Length} (batch_size={batch})");
        for (int b = 0; b < batch && !sequenceLengths.IsEmpty; b++)
        {
            int len = sequenceLengths[b];
            if (len < 0 || len > steps)
                throw new ArgumentException($"sequence_lens[{b}] = {len} is outside [0, {steps}]");
        }
        if (lengths.IsEmpty)
            return;
        for (int b = 0; b < batch; b++)
            lengths[b] = sequenceLengths.IsEmpty ? steps : sequenceLengths[b];
    }

    /// <summary>Checks upstream gradient sizes for backward (each may be 0, meaning zero gradient).</summary>
    public static void CheckUpstream(RnnLayerOptions options, int steps, int batch, int dYLength, int dYhLength, int dYcLength)
    {
        ArgumentNullException.ThrowIfNull(options);
        long y = (long)steps * options.DirectionCount * batch * options.OutputSize;
        long hidden = (long)options.DirectionCount * batch * options.OutputSize;
        long state = (long)options.DirectionCount * batch * options.HiddenSize;
        if (dYLength != 0 && dYLength != y)
            throw new ArgumentException($"gradient of Y must hold [T={steps}, D={options.DirectionCount}, B={batch}, H={options.OutputSize}] = {y} elements, got {dYLength}");
        if (dYhLength != 0 && dYhLength != hidden)
            throw new ArgumentException($"gradient of Y_h must hold [D={options.DirectionCount}, B={batch}, H={options.OutputSize}] = {hidden} elements, got {dYhLength}");
        if (dYcLength != 0 && options.Cell != RnnCellType.Lstm)
            throw new ArgumentException("GRU has no Y_c output, but a gradient for it was given");
        if (dYcLength != 0 && dYcLength != state)
            throw new ArgumentException($"gradient of Y_c must hold [D={options.DirectionCount}, B={batch}, H={options.HiddenSize}] = {state} elements, got {dYcLength}");
    }

    /// <summary>A session call's size against the session's maxima (both engines' sessions fail alike).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public static void CheckSessionLimits(int steps, int batch, int maxSteps, int maxBatch)
    {
        if (steps < 1)
            throw new ArgumentException("Expected sequence length to be larger than 0 in RNN");
        if (batch < 1)
            throw new ArgumentException($"Expected batch size to be larger than 0, got {batch}");
        if (batch > maxBatch)
            throw new ArgumentException($"batch {batch} exceeds the session's maximum batch {maxBatch}");
        if (steps > maxSteps)
            throw new ArgumentException($"sequence length {steps} exceeds the session's maximum sequence length {maxSteps}");
    }

    /// <summary>A stacked state (every layer's <c>[D, B, H]</c> block, in order) of a session call: empty, or exactly <paramref name="expected"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // no tier-up on the per-call path (LayerExecutor remarks)
    public static void CheckStackedState(string name, int length, long expected, int layers, int batch)
    {
        if (length != 0 && length != expected)
            throw new ArgumentException($"{name} must hold Σ over {layers} layer(s) of [D, B={batch}, H] = {expected} elements, got {length}");
    }
}
