namespace LstmNative.Onnx;

/// <summary>Which engine runs a node.</summary>
public enum RnnEngineKind
{
    /// <summary>The fast CPU engine (SIMD, float32): the default.</summary>
    Cpu,

    /// <summary>The scalar float64 reference: the oracle, for tests and for checking results.</summary>
    Reference,
}
