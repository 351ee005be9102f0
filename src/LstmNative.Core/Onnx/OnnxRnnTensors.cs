using LstmNative.Model;

namespace LstmNative.Onnx;

/// <summary>The tensors of an ONNX LSTM/GRU node, by operator role. Optional ones are null when absent.</summary>
public sealed class OnnxRnnTensors
{
    /// <summary>The operator's input names in position order (ONNX spec).</summary>
    public static readonly IReadOnlyList<string> InputRoles = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"];

    /// <summary>The operator's output names in position order.</summary>
    public static readonly IReadOnlyList<string> OutputRoles = ["Y", "Y_h", "Y_c"];

    /// <summary>Input sequence: <c>[T, B, I]</c> (layout 0) or <c>[B, T, I]</c> (layout 1).</summary>
    public required NdArray X { get; init; }

    /// <summary>Input weights <c>[D, G*H, I]</c>.</summary>
    public required NdArray W { get; init; }

    /// <summary>Recurrent weights <c>[D, G*H, H]</c>.</summary>
    public required NdArray R { get; init; }

    /// <summary>Biases <c>[D, 2*G*H]</c> (Wb then Rb).</summary>
    public NdArray? B { get; init; }

    /// <summary>Valid length per batch row <c>[B]</c> (int32).</summary>
    public NdArray? SequenceLens { get; init; }

    /// <summary>Initial hidden state <c>[D, B, H]</c> (layout 0) or <c>[B, D, H]</c> (layout 1).</summary>
    public NdArray? InitialH { get; init; }

    /// <summary>Initial cell state (LSTM), shaped like <see cref="InitialH"/>.</summary>
    public NdArray? InitialC { get; init; }

    /// <summary>Peepholes <c>[D, 3H]</c> (LSTM).</summary>
    public NdArray? P { get; init; }

    /// <summary>The tensor for a role name (one of <see cref="InputRoles"/>), or null.</summary>
    public NdArray? Get(string role) => role switch
    {
        "X" => X,
        "W" => W,
        "R" => R,
        "B" => B,
        "sequence_lens" => SequenceLens,
        "initial_h" => InitialH,
        "initial_c" => InitialC,
        "P" => P,
        _ => throw new ArgumentException($"unknown input role '{role}'"),
    };

    /// <summary>Builds the set from a role → tensor map; X, W and R are required.</summary>
    public static OnnxRnnTensors FromRoles(IReadOnlyDictionary<string, NdArray> byRole)
    {
        ArgumentNullException.ThrowIfNull(byRole);
        NdArray Required(string role) => byRole.TryGetValue(role, out var v) ? v : throw new ArgumentException($"missing required input {role}");
        NdArray? Optional(string role) => byRole.TryGetValue(role, out var v) ? v : null;
        return new OnnxRnnTensors
        {
            X = Required("X"),
            W = Required("W"),
            R = Required("R"),
            B = Optional("B"),
            SequenceLens = Optional("sequence_lens"),
            InitialH = Optional("initial_h"),
            InitialC = Optional("initial_c"),
            P = Optional("P"),
        };
    }
}
