using System.Numerics;

namespace LstmNative.Engines;

/// <summary>Which engine a recurrent module gets by default.</summary>
public static class RnnLayerEngines
{
    /// <summary>The fast CPU engine for float32 models; the float64 reference otherwise (gradient checks).</summary>
    public static IRnnLayerEngine<T> Default<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? (IRnnLayerEngine<T>)(object)CpuLayerEngine.Default : ReferenceLayerEngine<T>.Default;
}
