using LstmNative.Gpu.Inference;
using LstmNative.Model;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Inference;

/// <summary>The persistent kernel's launch maths and the algorithm heuristic, on the CPU, for the device presets.</summary>
public class LaunchPlanTests
{
    private static readonly DeviceLimits[] Devices = [DeviceLimits.H100, DeviceLimits.A100, DeviceLimits.L4];

    public static IEnumerable<TestCaseData> Layers()
    {
        foreach (var cell in new[] { RnnCellType.Lstm, RnnCellType.Gru })
            foreach (int h in new[] { 1, 3, 31, 64, 127, 256, 333, 512, 1000, 1024, 1536, 2048 })
                foreach (var dir in new[] { RnnDirection.Forward, RnnDirection.Bidirectional })
                    yield return new TestCaseData(cell, h, dir).SetArgDisplayNames($"{cell} H={h} {dir}");
    }

    [TestCaseSource(nameof(Layers))]
    public void EveryPlanFitsTheDeviceAndCoversEveryUnitOnce(RnnCellType cell, int hidden, RnnDirection direction)
    {
        foreach (var device in Devices)
        {
            foreach (int batch in new[] { 1, 2, 3, 4, 5, 8 })
            {
                var layer = new RnnLayerOptions(cell, 7, hidden, direction);
                if (!PersistentPlan.TryCreate(layer, batch, device, out var plan, out var reason))
                {
                    Assert.That(reason, Does.Contain("do not fit").And.Contain(device.Name));
                    continue;
                }
                var p = plan!;
                int gates = cell.GateCount();
                Assert.Multiple(() =>
                {
                    Assert.That(p.BatchBucket, Is.AnyOf(1, 2, 4, 8).And.GreaterThanOrEqualTo(batch), "bucket");
                    Assert.That(p.UnitsPerBlock * p.BlocksPerDirection, Is.GreaterThanOrEqualTo(hidden), "covers H");
                    Assert.That(p.UnitsPerBlock * (p.BlocksPerDirection - 1), Is.LessThan(hidden), "no empty block");
                    Assert.That(p.GridBlocks, Is.LessThanOrEqualTo(device.MultiprocessorCount), "one block per SM at most: resident");
                    Assert.That(p.SharedMemoryBytes, Is.LessThanOrEqualTo(device.PersistentDynamicSharedBudget), "shared memory");
                    Assert.That(p.SharedMemoryBytes, Is.EqualTo(PersistentPlan.SharedBytes(gates, p.UnitsPerBlock, p.PaddedHidden, p.BatchBucket)));
                    Assert.That(p.ThreadsPerBlock % 32, Is.Zero, "whole warps");
                    Assert.That(p.ThreadsPerBlock, Is.InRange(64, PersistentPlan.MaxThreadsPerBlock));
                    Assert.That(p.ThreadsPerBlock, Is.GreaterThanOrEqualTo(p.UnitsPerBlock * p.BatchBucket), "a thread per (unit, row)");
                    Assert.That(p.PaddedHidden % 4, Is.Zero);
                    Assert.That(p.PaddedHidden - hidden, Is.InRange(0, 3));
                    Assert.That(p.KernelName, Is.EqualTo($"rnn_persistent_b{p.BatchBucket}"));
                    Assert.That(p.EstimatedStepMicroseconds, Is.GreaterThan(0).And.LessThan(100));
                });
            }
        }
    }

    [TestCaseSource(nameof(Layers))]
    public void ThePlanIsTheCheapestFeasibleSplit(RnnCellType cell, int hidden, RnnDirection direction)
    {
        var device = DeviceLimits.H100;
        var layer = new RnnLayerOptions(cell, 7, hidden, direction);
        if (!PersistentPlan.TryCreate(layer, 1, device, out var plan, out _))
            return;
        int gates = cell.GateCount(), hp = PersistentPlan.PadHidden(hidden), dirs = direction.Count();
        for (int blocks = 1; blocks <= Math.Min(hidden, device.MultiprocessorCount / dirs); blocks++)
        {
            int units = (hidden + blocks - 1) / blocks;
            int used = (hidden + units - 1) / units;
            int threads = PersistentPlan.ThreadsFor(gates, units, 1);
            if (threads == 0 || PersistentPlan.SharedBytes(gates, units, hp, 1) > device.PersistentDynamicSharedBudget)
                continue;
            double us = PersistentPlan.EstimateStepMicroseconds(gates, cell == RnnCellType.Gru, units, used, hp, 1, threads, device);
            Assert.That(plan!.EstimatedStepMicroseconds, Is.LessThanOrEqualTo(us + 1e-12), $"{blocks} blocks would be cheaper");
        }
    }

    [Test]
    public void TheIssueSizesFitAnH100AtBatchOne()
    {
        foreach (int h in new[] { 256, 512, 1024 })
        {
            var layer = new RnnLayerOptions(RnnCellType.Lstm, h, h);
            Assert.That(PersistentPlan.TryCreate(layer, 1, DeviceLimits.H100, out var plan, out var reason), Is.True, reason);
            Assert.That(plan!.BlocksPerDirection, Is.GreaterThan(1), $"H={h} spreads over several SMs");
        }
    }

    [Test]
    public void TheSharedMemoryBudgetLeavesRoomForStaticSharedMemoryAndTheBlockReservation()
    {
        var h100 = DeviceLimits.H100;
        Assert.That(h100.PersistentDynamicSharedBudget, Is.EqualTo(232_448), "227 KiB opt-in, 228 KiB per SM less 1 KiB reserved");
        var withStatic = h100 with { PersistentStaticSharedMemory = 4096 };
        Assert.That(withStatic.PersistentDynamicSharedBudget, Is.EqualTo(232_448 - 4096));
        var noSlack = h100 with { MaxSharedMemoryPerMultiprocessor = 232_448 };
        Assert.That(noSlack.PersistentDynamicSharedBudget, Is.EqualTo(232_448 - 1024), "the per-SM total must also hold the reservation");
        // One SM whose shared memory holds exactly one block of an H = 64 LSTM: it fits only while nothing else takes
        // shared memory, and 16 bytes of static shared memory or a missing reservation make it not fit.
        var layer = new RnnLayerOptions(RnnCellType.Lstm, 8, 64);
        int exact = (int)PersistentPlan.SharedBytes(4, 64, 64, 1);
        var tight = h100 with { MultiprocessorCount = 1, MaxSharedMemoryPerBlockOptIn = exact, MaxSharedMemoryPerMultiprocessor = exact + 1024 };
        Assert.Multiple(() =>
        {
            Assert.That(PersistentPlan.TryCreate(layer, 1, tight, out var plan, out var reason), Is.True, reason);
            Assert.That(plan!.SharedMemoryBytes, Is.EqualTo(exact));
            Assert.That(PersistentPlan.TryCreate(layer, 1, tight with { PersistentStaticSharedMemory = 16 }, out _, out _), Is.False, "static shared memory counts");
            Assert.That(PersistentPlan.TryCreate(layer, 1, tight with { MaxSharedMemoryPerMultiprocessor = exact }, out _, out _), Is.False, "the reservation counts");
        });
    }

    [Test]
    public void SmallLayersRunInOneBlockWithoutAGridBarrier()
    {
        Assert.That(PersistentPlan.TryCreate(new RnnLayerOptions(RnnCellType.Lstm, 8, 32), 1, DeviceLimits.H100, out var plan, out _), Is.True);
        Assert.That(plan!.BlocksPerDirection, Is.EqualTo(1));
    }

    [Test]
    public void WhatDoesNotFitSaysWhy()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PersistentPlan.TryCreate(new RnnLayerOptions(RnnCellType.Lstm, 8, 2048), 1, DeviceLimits.H100, out _, out var big), Is.False);
            Assert.That(big, Does.Contain("64.0 MiB").And.Contain("do not fit"));
            Assert.That(PersistentPlan.TryCreate(new RnnLayerOptions(RnnCellType.Lstm, 8, 64), 9, DeviceLimits.H100, out _, out var batch), Is.False);
            Assert.That(batch, Does.Contain("batch 9 is above the persistent kernel's limit of 8"));
            Assert.That(PersistentPlan.TryCreate(new RnnLayerOptions(RnnCellType.Lstm, 8, 1024, RnnDirection.Bidirectional), 1, DeviceLimits.H100, out _, out _), Is.False,
                "two directions of H=1024 need 32 MiB");
        });
    }

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 4)]
    [TestCase(4, 4)]
    [TestCase(5, 8)]
    [TestCase(8, 8)]
    [TestCase(9, 0)]
    public void BatchBuckets(int batch, int bucket) => Assert.That(PersistentPlan.BucketFor(batch), Is.EqualTo(bucket));

    [Test]
    public void HeuristicHonoursOverridesAndFallsBack()
    {
        var small = new RnnLayerOptions(RnnCellType.Gru, 16, 128);
        var huge = new RnnLayerOptions(RnnCellType.Gru, 16, 4096);
        var auto = GpuInferenceOptions.Default;
        Assert.Multiple(() =>
        {
            Assert.That(AlgorithmHeuristic.Choose(small, 1, DeviceLimits.H100, auto).Algorithm, Is.EqualTo(GpuAlgorithm.Persistent));
            Assert.That(AlgorithmHeuristic.Choose(small, 64, DeviceLimits.H100, auto).Algorithm, Is.EqualTo(GpuAlgorithm.Standard));
            Assert.That(AlgorithmHeuristic.Choose(huge, 1, DeviceLimits.H100, auto).Algorithm, Is.EqualTo(GpuAlgorithm.Standard));
            Assert.That(AlgorithmHeuristic.Choose(huge, 1, DeviceLimits.H100, auto).Reason, Does.StartWith("standard: the recurrent weights"));
            Assert.That(AlgorithmHeuristic.Choose(small, 1, DeviceLimits.H100, auto with { Algorithm = GpuAlgorithm.Standard }).Algorithm, Is.EqualTo(GpuAlgorithm.Standard));
            Assert.That(AlgorithmHeuristic.Choose(small, 4, DeviceLimits.H100, auto with { Algorithm = GpuAlgorithm.Persistent }).Plan, Is.Not.Null);
            Assert.That(() => AlgorithmHeuristic.Choose(huge, 1, DeviceLimits.H100, auto with { Algorithm = GpuAlgorithm.Persistent }),
                Throws.TypeOf<NotSupportedException>().With.Message.Contains("H=4096"));
            // The occupancy check can veto a plan (e.g. registers): then standard, with the reason.
            var vetoed = AlgorithmHeuristic.Choose(small, 1, DeviceLimits.H100, auto, _ => 0);
            Assert.That(vetoed.Algorithm, Is.EqualTo(GpuAlgorithm.Standard));
            Assert.That(vetoed.Reason, Does.Contain("holds only 0"));
            var noCoop = DeviceLimits.H100 with { SupportsCooperativeLaunch = false };
            Assert.That(AlgorithmHeuristic.Choose(small, 1, noCoop, auto with { Barrier = PersistentBarrier.Cooperative }).Algorithm, Is.EqualTo(GpuAlgorithm.Standard));
        });
    }

    [Test]
    public void OptionsValidateAndMapToCublasComputeTypes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new GpuInferenceOptions { MaxCachedGraphs = 0 }.Validate(), Throws.ArgumentException);
            Assert.That(() => new GpuInferenceOptions { WavefrontChunk = 0 }.Validate(), Throws.ArgumentException);
            Assert.That(() => new GpuInferenceOptions { Algorithm = (GpuAlgorithm)9 }.Validate(), Throws.ArgumentException);
            Assert.That(GpuInferenceOptions.ComputeType(GemmPrecision.Fp32), Is.EqualTo((int)LstmNative.Cuda.CublasComputeType.Fp32));
            Assert.That(GpuInferenceOptions.ComputeType(GemmPrecision.Tf32), Is.EqualTo((int)LstmNative.Cuda.CublasComputeType.Fp32FastTf32));
            Assert.That(GpuInferenceOptions.ComputeType(GemmPrecision.Bf16), Is.EqualTo((int)LstmNative.Cuda.CublasComputeType.Fp32FastBf16));
        });
    }
}
