using LstmNative.Gpu.Training;

namespace LstmNative.Training.Optimizers;

/// <summary>
/// Carries a CPU optimizer's settings over to the GPU trainer's fused step. It lives here, not in the GPU engine,
/// because the engine must not depend on the training stack (dependencies point one way: engine ← training).
/// </summary>
public static class DeviceOptimizerSettingsExtensions
{
    /// <summary>The device settings of <paramref name="optimizer"/> (its current learning rate included).</summary>
    /// <exception cref="NotSupportedException">An optimizer type the device step does not implement.</exception>
    public static DeviceOptimizerSettings ToDeviceSettings(this Optimizer<float> optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer switch
        {
            AdamW<float> a => DeviceOptimizerSettings.AdamW(a.LearningRate, a.Beta1, a.Beta2, a.Eps, a.WeightDecay),
            Adam<float> a => DeviceOptimizerSettings.Adam(a.LearningRate, a.Beta1, a.Beta2, a.Eps, a.WeightDecay),
            Sgd<float> s => DeviceOptimizerSettings.Sgd(s.LearningRate, s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov),
            _ => throw new NotSupportedException($"the device optimizer step implements SGD, Adam and AdamW, not {TypeNames.Friendly(optimizer.GetType())}"),
        };
    }
}
