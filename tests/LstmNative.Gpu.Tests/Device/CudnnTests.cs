using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>The cuDNN 9 RNN binding: an LSTM forward against the CPU, and the backward calls run.</summary>
public class CudnnTests : GpuFixture
{
    private const int Steps = 4, Batch = 3, Input = 5, Hidden = 6;

    [OneTimeSetUp]
    public void RequireCudnn()
    {
        if (GpuRuntime.Current.CudnnVersion is null)
        {
            TestContext.Progress.WriteLine($"[Gpu] cuDNN tests skipped: {GpuRuntime.Current.CudnnProblem}");
            Assert.Ignore($"cuDNN not available: {GpuRuntime.Current.CudnnProblem}");
        }
    }

    [Test]
    public void LstmForwardMatchesTheCpuAndBackwardRuns()
    {
        var x = RandomFloats(Steps * Batch * Input, 31);
        var w = RandomFloats(4 * Hidden * Input, 32, 0.5f);
        var r = RandomFloats(4 * Hidden * Hidden, 33, 0.5f);
        var bw = RandomFloats(4 * Hidden, 34, 0.5f);
        var br = RandomFloats(4 * Hidden, 35, 0.5f);
        var (expectedY, expectedH, expectedC) = CpuMath.Lstm(x, w, r, bw, br, Steps, Batch, Input, Hidden);

        using var stream = Context.CreateStream();
        using var cudnn = new CudnnHandle(Context);
        cudnn.SetStream(stream);
        TestContext.Out.WriteLine($"cuDNN {CudnnHandle.LibraryVersion()} from {NativeLibraryResolver.LoadedFrom(CudaLibrary.Cudnn)}");
        using var dropout = new CudnnDropoutDescriptor(cudnn);
        using var rnn = new CudnnRnnDescriptor(cudnn, new CudnnRnnSettings(CudnnRnnMode.Lstm, Input, Hidden), dropout);
        int[] lengths = [Steps, Steps, Steps];
        using var xDesc = new CudnnRnnDataDescriptor(cudnn, CudnnDataType.Float, CudnnRnnDataLayout.SequenceMajorUnpacked, Steps, Input, lengths);
        using var yDesc = new CudnnRnnDataDescriptor(cudnn, CudnnDataType.Float, CudnnRnnDataLayout.SequenceMajorUnpacked, Steps, Hidden, lengths);
        using var hDesc = CudnnTensorDescriptor.Packed(cudnn, CudnnDataType.Float, 1, Batch, Hidden);

        var weightBytes = rnn.WeightSpaceBytes();
        Assert.That(weightBytes, Is.EqualTo(4L * (4 * Hidden * (Input + Hidden) + 8 * Hidden)), "LSTM weight space: W, R, two biases");
        using var weights = Context.Allocate<byte>(weightBytes);
        // cuDNN's linear layers 0-3 are W_i, W_f, W_g, W_o; 4-7 the recurrent ones: the engine's gate order.
        for (var id = 0; id < 8; id++)
        {
            var gate = id % 4;
            var parameter = rnn.GetWeightParameter(0, weights.Pointer, weightBytes, id);
            var (matrix, columns) = id < 4 ? (w, Input) : (r, Hidden);
            var bias = id < 4 ? bw : br;
            Assert.That(parameter.MatrixDimensions.Aggregate(1, (a, b) => a * b), Is.EqualTo(Hidden * columns), $"matrix {id}");
            DeviceMemory.CopyFromHost(parameter.Matrix, matrix.AsSpan(gate * Hidden * columns, Hidden * columns), stream);
            DeviceMemory.CopyFromHost(parameter.Bias, bias.AsSpan(gate * Hidden, Hidden), stream);
        }

        using var seqLengths = Context.Allocate<int>(Batch);
        seqLengths.CopyFromHost(lengths, stream: stream);
        using var dX = Context.Allocate<float>(x.Length);
        dX.CopyFromHost(x, stream: stream);
        using var dY = Context.Allocate<float>(Steps * Batch * Hidden);
        using var hy = Context.Allocate<float>(Batch * Hidden);
        using var cy = Context.Allocate<float>(Batch * Hidden);
        var (workBytes, reserveBytes) = rnn.TempSpaceBytes(CudnnForwardMode.Training, xDesc);
        using var work = Context.Allocate<byte>(Math.Max(1, workBytes));
        using var reserve = Context.Allocate<byte>(Math.Max(1, reserveBytes));
        var spaces = new CudnnRnnSpaces(weights.Pointer, weightBytes, work.Pointer, workBytes, reserve.Pointer, reserveBytes);

        rnn.Forward(CudnnForwardMode.Training, seqLengths.Pointer, xDesc, dX.Pointer, yDesc, dY.Pointer, hDesc, 0, hy.Pointer, hDesc, 0, cy.Pointer, spaces);
        // cuDNN may use TF32 for FP32 GEMMs on Ampere+; ONNX Runtime's CUDA tolerance.
        AssertClose(dY.ToArray(stream), expectedY, 5e-3f, "y");
        AssertClose(hy.ToArray(stream), expectedH, 5e-3f, "hy");
        AssertClose(cy.ToArray(stream), expectedC, 5e-3f, "cy");

        // Backward: the calls run and give finite, non-trivial gradients (their values are checked by the GPU issues).
        using var dy = Context.Allocate<float>(dY.Length);
        dy.Fill(1f, stream);
        using var dx = Context.Allocate<float>(x.Length);
        rnn.BackwardData(seqLengths.Pointer, yDesc, dY.Pointer, dy.Pointer, xDesc, dx.Pointer, hDesc, 0, 0, 0, hDesc, 0, 0, 0, spaces);
        using var dWeights = Context.Allocate<byte>(weightBytes);
        dWeights.Clear(stream);
        rnn.BackwardWeights(CudnnWeightGradientMode.Add, seqLengths.Pointer, xDesc, dX.Pointer, hDesc, 0, yDesc, dY.Pointer, spaces with { Weights = dWeights.Pointer });
        var gradX = dx.ToArray(stream);
        var gradW = new float[weightBytes / sizeof(float)];
        DeviceMemory.CopyToHost(dWeights.Pointer, gradW.AsSpan(), stream);
        Assert.Multiple(() =>
        {
            Assert.That(gradX.All(float.IsFinite) && gradX.Any(v => v != 0), "dx finite and non-zero");
            Assert.That(gradW.All(float.IsFinite) && gradW.Any(v => v != 0), "dW finite and non-zero");
        });
    }
}
