using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Gpu.Device;
using LstmNative.Gpu.Tests.Training;
using LstmNative.Gpu.Training;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.KernelsOnCpu;

/// <summary>
/// The REAL training kernels (kernels/rnn_train_forward.cu, rnn_backward.cu, optimizer.cu, loss.cu, clip.cu compiled
/// for the CPU) driven by the unchanged GpuRnnStack / GpuRnnTrainer on <see cref="Emulation.EmulatedBackend"/> with native
/// memory (GEMMs as C# loops, as the host queues them): every output and gradient against the reference, the
/// optimizer kernel bit for bit against its host mirror, and whole training runs against the CPU training stack.
/// </summary>
[NonParallelizable]
public class TrainingKernelsOnCpuTests
{
    [OneTimeSetUp]
    public void RequireTheLibrary() => CpuKernels.RequireAvailable();

    // Every stack case but the 160-step one (its kernels are the short ones' many times over).
    public static IEnumerable<string> CaseNames() => StackCases.All().Where(c => c.Steps <= 10).Select(c => c.Name);

    [TestCaseSource(nameof(CaseNames))]
    public void StackMatchesTheReference(string name)
    {
        var c = StackCases.All().Single(x => x.Name == name);
        using var device = new EmulatedBackend(realKernels: true).CreateArena();
        StackCases.Check(device, c, 2e-5);
    }

    [Test]
    public void TheLibraryHoldsEveryTrainingKernel() => Assert.That(CpuKernels.Names, Is.SupersetOf(TrainingKernelNames.All));

    [Test]
    public void ManyToOneRegressorFollowsTheCpuLossCurve()
    {
        using var trainer = new GpuRnnTrainer(new EmulatedBackend(realKernels: true).CreateArena(), TrainingRuns.LstmRegressor(), ownsDevice: true);
        var (gpu, cpu) = TrainingRuns.Run(trainer, 8, 7, 4);
        Assert.That(gpu, Is.EqualTo(cpu).Within(1e-4).Percent);
    }

    [Test]
    public void SequenceToSequenceWithSgdHuberAndValueClipping()
    {
        using var trainer = new GpuRnnTrainer(new EmulatedBackend(realKernels: true).CreateArena(), TrainingRuns.SequenceToSequence(), ownsDevice: true);
        var (gpu, cpu) = TrainingRuns.Run(trainer, 6, 6, 3);
        Assert.That(gpu, Is.EqualTo(cpu).Within(1e-4).Percent);
    }

    /// <summary>As GpuTrainingDeviceTests.TheOptimizerKernelMatchesItsHostMirrorBitForBit, on the CPU build of the kernels.</summary>
    [Test]
    public void TheOptimizerKernelMatchesItsHostMirrorBitForBit()
    {
        foreach (var (settings, clip) in new[]
                 {
                     (DeviceOptimizerSettings.Adam(0.01, weightDecay: 0.01), DeviceGradientClip.ByGlobalNorm(0.5)),
                     (DeviceOptimizerSettings.AdamW(0.01), DeviceGradientClip.ByValue(0.01)),
                     (DeviceOptimizerSettings.Sgd(0.1, momentum: 0.9, nesterov: true), DeviceGradientClip.None),
                     (DeviceOptimizerSettings.Sgd(0.05), DeviceGradientClip.ByGlobalNorm(0.2)),
                 })
        {
            using var device = new EmulatedBackend(realKernels: true).CreateArena();
            var layout = new ParameterLayout([new RnnLayerOptions(RnnCellType.Gru, 5, 7)]);
            var weights = new DeviceTrainingWeights(device, layout);
            ulong scalars = device.Allocate(DeviceScalars.Size), partials = device.Allocate(TrainingLaunch.MaxReduceBlocks * sizeof(double));
            var optimizer = new DeviceOptimizer(device, weights, settings, clip, scalars, partials);
            Span<double> lr = [settings.LearningRate];
            device.Queue.Upload<double>(scalars + 32, lr);
            var rng = new Random(2);
            int n = (int)weights.Count;
            var param = StackCases.Random(rng, n, 1);
            device.Queue.Upload<float>(weights.Parameters, param);
            var p = FusedOptimizerMath.Parameters(settings, clip, n);
            var s = new DeviceScalars { LearningRate = settings.LearningRate };
            float[] m = new float[n], v = new float[n];
            for (int step = 0; step < 3; step++)
            {
                var grad = StackCases.Random(rng, n, 0.05 * (step + 1));
                device.Queue.Upload<float>(weights.Gradients, grad);
                optimizer.Step();
                var onDevice = new DeviceScalars[1];
                device.Queue.Download<DeviceScalars>(scalars, onDevice);
                if (clip.Mode == GradientClipMode.GlobalNorm) // the norm kernels run only then
                    Assert.That(onDevice[0].GradSq, Is.EqualTo(grad.Sum(g => (double)g * g)).Within(1e-9).Percent, "sum of squares (clip.cu)");
                s.GradSq = onDevice[0].GradSq;
                FusedOptimizerMath.Prepare(p, ref s);
                var expected = s;
                Assert.Multiple(() =>
                {
                    Assert.That(onDevice[0].Step, Is.EqualTo(expected.Step));
                    Assert.That(onDevice[0].StepSize, Is.EqualTo(expected.StepSize));
                    Assert.That(onDevice[0].SqrtBc2, Is.EqualTo(expected.SqrtBc2));
                    Assert.That(onDevice[0].ClipFactor, Is.EqualTo(expected.ClipFactor));
                });
                FusedOptimizerMath.Update(p, s, param, grad, settings.Kind == DeviceOptimizerKind.Sgd && settings.Momentum == 0 ? default : m, v);
                var got = new float[n];
                weights.DownloadFlat(got);
                Assert.That(got, Is.EqualTo(param), $"{settings.Kind} step {step}");
            }
        }
    }
}
