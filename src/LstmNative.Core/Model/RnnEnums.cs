namespace LstmNative.Model;

/// <summary>The recurrent cell a layer is made of.</summary>
public enum RnnCellType
{
    /// <summary>Long short-term memory: four gates, a hidden and a cell state.</summary>
    Lstm,

    /// <summary>Gated recurrent unit: three gates, a hidden state only.</summary>
    Gru,
}

/// <summary>Which way(s) a layer walks the sequence (ONNX's <c>direction</c> attribute).</summary>
public enum RnnDirection
{
    /// <summary>From the first time step to the last.</summary>
    Forward,

    /// <summary>From each sequence's own last valid step to the first.</summary>
    Reverse,

    /// <summary>Both; outputs of the two directions are kept side by side.</summary>
    Bidirectional,
}

/// <summary>How a sequence tensor is laid out in memory (ONNX's <c>layout</c> attribute).</summary>
public enum SequenceLayout
{
    /// <summary>ONNX layout 0: <c>X[T, B, I]</c>, <c>Y[T, D, B, H]</c>, states <c>[D, B, H]</c>.</summary>
    TimeMajor = 0,

    /// <summary>ONNX layout 1: <c>X[B, T, I]</c>, <c>Y[B, T, D, H]</c>, states <c>[B, D, H]</c>.</summary>
    BatchMajor = 1,
}

/// <summary>Extension helpers for the model enums.</summary>
public static class RnnEnumExtensions
{
    /// <summary>Number of gate blocks in the cell's weight matrices (4 for LSTM, 3 for GRU).</summary>
    public static int GateCount(this RnnCellType cell) => cell == RnnCellType.Lstm ? 4 : 3;

    /// <summary>Number of directions (1 or 2).</summary>
    public static int Count(this RnnDirection direction) => direction == RnnDirection.Bidirectional ? 2 : 1;
}
