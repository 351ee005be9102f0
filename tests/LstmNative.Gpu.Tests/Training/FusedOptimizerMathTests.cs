using LstmNative.Gpu.Training;
using LstmNative.Training;
using LstmNative.Training.Optimizers;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Training;

/// <summary>
/// The fused device update (its host mirror, which the kernel follows operation for operation) against
/// LstmNative.Training's optimizers and clipping over several steps: bit for bit.
/// </summary>
public class FusedOptimizerMathTests
{
    private const int Count = 300;

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("adam", DeviceGradientClip.None);
        yield return new TestCaseData("adam-l2", DeviceGradientClip.ByGlobalNorm(0.5));
        yield return new TestCaseData("adamw", DeviceGradientClip.None);
        yield return new TestCaseData("adamw", DeviceGradientClip.ByValue(0.3));
        yield return new TestCaseData("sgd", DeviceGradientClip.None);
        yield return new TestCaseData("sgd-momentum", DeviceGradientClip.ByGlobalNorm(2.0));
        yield return new TestCaseData("sgd-nesterov", DeviceGradientClip.ByValue(0.2));
        yield return new TestCaseData("sgd-dampening-wd", DeviceGradientClip.None);
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesTheCpuOptimizerBitForBit(string which, DeviceGradientClip clip)
    {
        var rng = new Random(which.Length * 31 + (int)clip.Mode);
        var cpuValue = new float[Count];
        for (int i = 0; i < Count; i++)
            cpuValue[i] = (float)(rng.NextDouble() * 2 - 1);
        var devValue = (float[])cpuValue.Clone();
        var grad = new float[Count];
        var parameter = new Parameter<float>("w", new Tensor<float>(cpuValue, Count), new Tensor<float>(grad, Count));
        Optimizer<float> cpu = which switch
        {
            "adam" => new Adam<float>([parameter], 0.01),
            "adam-l2" => new Adam<float>([parameter], 0.02, 0.8, 0.99, 1e-6, weightDecay: 0.1),
            "adamw" => new AdamW<float>([parameter], 0.01, weightDecay: 0.05),
            "sgd" => new Sgd<float>([parameter], 0.1),
            "sgd-momentum" => new Sgd<float>([parameter], 0.05, momentum: 0.9),
            "sgd-nesterov" => new Sgd<float>([parameter], 0.05, momentum: 0.8, nesterov: true),
            "sgd-dampening-wd" => new Sgd<float>([parameter], 0.05, momentum: 0.7, dampening: 0.3, weightDecay: 0.01),
            _ => throw new ArgumentException(which),
        };
        var settings = cpu.ToDeviceSettings();
        var p = FusedOptimizerMath.Parameters(settings, clip, Count);
        var s = new DeviceScalars { LearningRate = settings.LearningRate };
        var m = new float[Count];
        var v = new float[Count];
        for (int step = 1; step <= 6; step++)
        {
            if (step == 4)
            {
                cpu.LearningRate /= 2; // a scheduler between steps
                s.LearningRate = cpu.LearningRate;
            }
            for (int i = 0; i < Count; i++)
                grad[i] = (float)((rng.NextDouble() * 2 - 1) * 0.1 * step);
            var deviceGrad = (float[])grad.Clone();
            double cpuNorm = clip.Mode switch
            {
                GradientClipMode.GlobalNorm => GradientClipping.ClipByGlobalNorm([parameter], clip.Limit),
                GradientClipMode.Value => ClipValue(parameter, clip.Limit),
                _ => 0,
            };
            cpu.Step();
            // The device: sum of squares (in double, like the kernel), prepare, update.
            s.GradSq = deviceGrad.Sum(g => (double)g * g);
            FusedOptimizerMath.Prepare(p, ref s);
            FusedOptimizerMath.Update(p, s, devValue, deviceGrad, settings.Kind == DeviceOptimizerKind.Sgd && settings.Momentum == 0 ? default : m, v);
            Assert.That(devValue, Is.EqualTo(cpuValue), $"step {step}");
            if (clip.Mode == GradientClipMode.GlobalNorm)
                Assert.That(s.GradNorm, Is.EqualTo(cpuNorm).Within(1e-12), "the norm before clipping");
            Assert.That(s.Step, Is.EqualTo(cpu.StepCount));
        }
    }

    private static double ClipValue(Parameter<float> parameter, double limit)
    {
        GradientClipping.ClipByValue([parameter], limit);
        return 0;
    }

    [Test]
    public void SettingsComeFromTheCpuOptimizersAndAreValidated()
    {
        var p = new Parameter<float>("w", new Tensor<float>(2));
        Assert.Multiple(() =>
        {
            Assert.That(new AdamW<float>([p], 0.003, weightDecay: 0.2).ToDeviceSettings(),
                Is.EqualTo(DeviceOptimizerSettings.AdamW(0.003, weightDecay: 0.2)));
            Assert.That(new Sgd<float>([p], 0.1, momentum: 0.5, nesterov: true).ToDeviceSettings().Nesterov, Is.True);
            Assert.Throws<ArgumentException>(() => DeviceOptimizerSettings.Sgd(0.1, nesterov: true).Validate());
            Assert.Throws<ArgumentException>(() => DeviceOptimizerSettings.Adam(beta1: 1).Validate());
            Assert.Throws<ArgumentException>(() => DeviceGradientClip.ByGlobalNorm(0).Validate());
        });
    }
}
