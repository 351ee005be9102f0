using LstmNative.Gpu.Inference;
using LstmNative.Gpu.Tests.Inference;
using LstmNative.Gpu.Tests.Emulation;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.KernelsOnCpu;

/// <summary>
/// The REAL inference kernels (kernels/rnn_forward.cu, rnn_persistent.cu, compiled for the CPU by the KernelsCpu
/// target) driven by the unchanged GPU session (GpuRnnModel/GpuRnnSession, their argument blocks and launch plans) on
/// <see cref="EmulatedBackend"/> with native memory, against the scalar reference. The persistent kernel runs its whole
/// grid at once on OS threads, several blocks per direction, in both barrier modes.
/// </summary>
[NonParallelizable]
public class InferenceKernelsOnCpuTests
{
    private const double Tolerance = 1e-4;

    /// <summary>
    /// A device whose 1 KiB of shared memory per block forces the persistent plan to split H = 7 over several blocks
    /// per direction, so the grid barrier really synchronises blocks (no per-block reservation: the CPU has none). (Sizes are small: every warp shuffle is a barrier
    /// of 32 OS threads, so the cost grows with G·H·batch bucket·steps.)
    /// </summary>
    private static readonly DeviceLimits SmallShared = new("CPU shim (1 KiB shared memory per block)", 90, 16, 1024, 1024, 2048, 1_000_000, true, ReservedSharedMemoryPerBlock: 0);

    public enum Cell
    {
        Lstm,
        GruLbr0,
        GruLbr1,
    }

    public enum Algorithm
    {
        Standard,
        PersistentFlag,
        PersistentCooperative,
        PersistentTagged, // the flag mode as a tagged exchange (kernel mode 3), opt-in until it has run on a GPU
    }

    [OneTimeSetUp]
    public void RequireTheLibrary() => CpuKernels.RequireAvailable();

    public static IEnumerable<TestCaseData> Matrix()
    {
        foreach (var cell in Enum.GetValues<Cell>())
            foreach (var direction in Enum.GetValues<RnnDirection>())
                foreach (var algorithm in Enum.GetValues<Algorithm>())
                    yield return new TestCaseData(cell, direction, algorithm).SetArgDisplayNames($"{cell} {direction} {algorithm}");
    }

    /// <summary>Lengths with an empty row, initial states; LSTM with peepholes and clip, GRU with clip.</summary>
    [TestCaseSource(nameof(Matrix))]
    public void RunMatchesTheReference(Cell cell, RnnDirection direction, Algorithm algorithm)
    {
        var features = cell switch
        {
            Cell.Lstm => LayerFeatures.Peepholes | LayerFeatures.Clip,
            Cell.GruLbr1 => LayerFeatures.LinearBeforeReset | LayerFeatures.Clip,
            _ => LayerFeatures.Clip,
        };
        var backend = Check(cell == Cell.Lstm ? RnnCellType.Lstm : RnnCellType.Gru, direction, features, algorithm,
                            hidden: 7, input: 3, layers: 1, steps: 4, batch: 3, lengths: [4, 0, 2], initialStates: true,
                            seed: (int)cell * 100 + (int)direction * 10 + (int)algorithm);
        if (algorithm != Algorithm.Standard)
            Assert.That(backend.PersistentLaunches.Select(p => p.Plan.BlocksPerDirection), Is.All.GreaterThan(1), "several blocks per direction");
    }

    /// <summary>A stack: the second layer reads the first one's output (both directions).</summary>
    [TestCase(Algorithm.Standard)]
    [TestCase(Algorithm.PersistentFlag)]
    [TestCase(Algorithm.PersistentTagged)]
    public void TwoLayersMatchTheReference(Algorithm algorithm) =>
        Check(RnnCellType.Lstm, RnnDirection.Bidirectional, LayerFeatures.None, algorithm, hidden: 5, input: 3, layers: 2, steps: 3, batch: 2,
              lengths: [3, 1], initialStates: true, seed: 21);

    [TestCase(LayerFeatures.InputForget | LayerFeatures.Peepholes, Algorithm.Standard)]
    [TestCase(LayerFeatures.InputForget | LayerFeatures.Peepholes, Algorithm.PersistentFlag)]
    [TestCase(LayerFeatures.CustomActivations | LayerFeatures.Clip, Algorithm.Standard)]
    [TestCase(LayerFeatures.CustomActivations | LayerFeatures.Clip, Algorithm.PersistentCooperative)]
    public void LstmOptionsMatchTheReference(LayerFeatures features, Algorithm algorithm) =>
        Check(RnnCellType.Lstm, RnnDirection.Bidirectional, features, algorithm, hidden: 7, input: 4, layers: 1, steps: 3, batch: 2,
              lengths: null, initialStates: true, seed: 7);

    [TestCase(Algorithm.Standard, false)]
    [TestCase(Algorithm.PersistentFlag, false)]
    [TestCase(Algorithm.Standard, true)]
    [TestCase(Algorithm.PersistentCooperative, true)]
    [TestCase(Algorithm.PersistentTagged, false)]
    public void GruActivationsMatchTheReference(Algorithm algorithm, bool linearBeforeReset) =>
        Check(RnnCellType.Gru, RnnDirection.Bidirectional, LayerFeatures.CustomActivations | (linearBeforeReset ? LayerFeatures.LinearBeforeReset : 0),
              algorithm, hidden: 6, input: 2, layers: 1, steps: 3, batch: 2, lengths: [3, 2], initialStates: false, seed: 8);

    /// <summary>The batch buckets' kernels: rnn_persistent_b1 (batch 1), _b2, _b8 (batch 6 of 8: padding rows).</summary>
    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(6, 8)]
    public void EveryBatchBucketMatchesTheReference(int batch, int bucket)
    {
        var backend = Check(RnnCellType.Lstm, RnnDirection.Forward, LayerFeatures.None, Algorithm.PersistentFlag, hidden: 5, input: 2, layers: 1,
                            steps: 3, batch: batch, lengths: null, initialStates: true, seed: 30 + batch);
        Assert.That(backend.PersistentLaunches.Select(p => p.Plan.BatchBucket), Is.All.EqualTo(bucket));
    }

    /// <summary>A one-step launch (streaming Step): the tagged exchange then takes the counter barrier once.</summary>
    [TestCase(Algorithm.PersistentFlag)]
    [TestCase(Algorithm.PersistentTagged)]
    public void OneStepLaunchesMatchTheReference(Algorithm algorithm) =>
        Check(RnnCellType.Lstm, RnnDirection.Bidirectional, LayerFeatures.None, algorithm, hidden: 7, input: 3, layers: 1, steps: 1, batch: 3,
              lengths: null, initialStates: true, seed: 41);

    [Test]
    public void TheLibraryHoldsEveryInferenceKernel()
    {
        string[] names =
        [
            InferenceKernelNames.LstmStep, InferenceKernelNames.GruStep, InferenceKernelNames.GruStepReset, InferenceKernelNames.GruStepUpdate,
            InferenceKernelNames.PersistentB1, InferenceKernelNames.PersistentB2, InferenceKernelNames.PersistentB4, InferenceKernelNames.PersistentB8,
        ];
        Assert.That(CpuKernels.Names, Is.SupersetOf(names));
    }

    [Test]
    public void BadLaunchesAreReportedNotRun()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => CpuKernels.Launch("no_such_kernel", new Cuda.LaunchConfig(new Cuda.Dim3(1), new Cuda.Dim3(32)), 0),
                Throws.InvalidOperationException.With.Message.Contains("no kernel named 'no_such_kernel'"));
            Assert.That(() => CpuKernels.Launch(InferenceKernelNames.LstmStep, new Cuda.LaunchConfig(new Cuda.Dim3(1), new Cuda.Dim3(2048)), 0),
                Throws.InvalidOperationException.With.Message.Contains("bad configuration"));
        });
    }

    [Test]
    public unsafe void ABarrierThatCannotCompleteEndsInAnErrorNotAHang()
    {
        // The arguments promise two blocks per direction but the grid has one: the flag barrier after step 0 can never
        // complete. The bounded spin must turn that into a trap (about 4 s of the shim's nanosecond clock), which the
        // launch reports, instead of spinning for ever.
        const int h = 4, units = 2, steps = 3, gates = 4;
        var buffers = new List<nint>();
        ulong Floats(int count)
        {
            var p = (nint)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)(Math.Max(count, 1) * sizeof(float)));
            buffers.Add(p);
            return (ulong)p;
        }
        try
        {
            var activations = new KernelActivations
            {
                F = new KernelActivation { Kind = (int)ActivationKind.Sigmoid },
                G = new KernelActivation { Kind = (int)ActivationKind.Tanh },
                H = new KernelActivation { Kind = (int)ActivationKind.Tanh },
            };
            var direction = new PersistentDirectionArgs
            {
                Xw = Floats(steps * gates * h), R = Floats(gates * h * h), Bw = Floats(gates * h), Br = Floats(gates * h),
                H = Floats(h), C = Floats(h), Y = Floats(steps * h), Exchange = Floats(3 * h), Barrier = Floats(1), Act = activations,
            };
            var args = new PersistentKernelArgs
            {
                Dir0 = direction, XwStrideT = gates * h, XwStrideB = gates * h, YStrideT = h, YStrideB = h, LdState = h,
                Batch = 1, Hidden = h, Steps = steps, Cell = 0, UnitsPerBlock = units, BlocksPerDirection = 2, PaddedHidden = h, BarrierMode = 0,
            };
            var config = new Cuda.LaunchConfig(new Cuda.Dim3(1), new Cuda.Dim3(64), (uint)PersistentPlan.SharedBytes(gates, units, h, 1));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.That(() => CpuKernels.Launch(InferenceKernelNames.PersistentB1, config, args, concurrent: true),
                Throws.InvalidOperationException.With.Message.Contains("__trap()"));
            Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(30), "the spin is bounded");
        }
        finally
        {
            foreach (var p in buffers)
                System.Runtime.InteropServices.NativeMemory.Free((void*)p);
        }
    }

    private static EmulatedBackend Check(RnnCellType cell, RnnDirection direction, LayerFeatures features, Algorithm algorithm,
        int hidden, int input, int layers, int steps, int batch, int[]? lengths, bool initialStates, int seed)
    {
        var backend = new EmulatedBackend(SmallShared, seed: seed, realKernels: true);
        var options = new GpuInferenceOptions
        {
            Algorithm = algorithm == Algorithm.Standard ? GpuAlgorithm.Standard : GpuAlgorithm.Persistent,
            Barrier = algorithm == Algorithm.PersistentCooperative ? PersistentBarrier.Cooperative : PersistentBarrier.Flag,
            TaggedExchange = algorithm == Algorithm.PersistentTagged,
            UseGraphs = false,
        };
        var stack = InferenceReference.RandomStack(cell, input, hidden, layers, direction, features, seed);
        int stateLength = layers * direction.Count() * batch * hidden;
        var x = InferenceReference.Random(steps * batch * input, seed + 1);
        var h0 = initialStates ? InferenceReference.Random(stateLength, seed + 2) : null;
        var c0 = initialStates && cell == RnnCellType.Lstm ? InferenceReference.Random(stateLength, seed + 3) : null;
        var expected = InferenceReference.Run(stack, x, steps, batch, lengths, h0, c0);

        using var model = new GpuRnnModel(backend, stack, options);
        using var session = model.CreateSession(batch, steps);
        var y = new float[expected.Y.Length];
        var yh = new float[expected.Yh.Length];
        var yc = new float[expected.Yc.Length];
        session.Run(x, steps, batch, y, yh, yc, lengths ?? default, h0 ?? default, c0 ?? default);
        var (wy, atY) = InferenceReference.WorstError(y, expected.Y);
        var (wh, atH) = InferenceReference.WorstError(yh, expected.Yh);
        var (wc, atC) = InferenceReference.WorstError(yc, expected.Yc);
        Assert.Multiple(() =>
        {
            Assert.That(wy, Is.LessThan(Tolerance), $"Y: worst at {atY}");
            Assert.That(wh, Is.LessThan(Tolerance), $"Y_h: worst at {atH}");
            Assert.That(wc, Is.LessThan(Tolerance), $"Y_c: worst at {atC}");
            Assert.That(backend.PersistentLaunches, algorithm == Algorithm.Standard ? Is.Empty : Is.Not.Empty, "the algorithm asked for ran");
        });
        return backend;
    }
}
