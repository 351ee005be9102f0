using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Device;

/// <summary>cuBLAS GEMMs against a double-accumulated CPU product.</summary>
public class CublasTests : GpuFixture
{
    private CublasHandle? _blas;
    private CudaStream? _stream;

    private CublasHandle Blas => _blas!;

    private CudaStream Stream => _stream!;

    [SetUp]
    public void CreateHandle()
    {
        _stream = Context.CreateStream();
        _blas = new CublasHandle(Context);
        _blas.SetStream(_stream);
        _blas.SetMathMode(CublasMathMode.Pedantic); // FP32 really in FP32, whatever NVIDIA_TF32_OVERRIDE says
    }

    [TearDown]
    public void DisposeHandle()
    {
        _blas?.Dispose();
        _stream?.Dispose();
    }

    [Test]
    public void VersionIsReported()
    {
        TestContext.Out.WriteLine($"cuBLAS {CublasHandle.LibraryVersion()} ({NativeLibraryResolver.LoadedFrom(CudaLibrary.Cublas)}), handle version {Blas.Version}");
        Assert.That(Blas.Version, Is.GreaterThanOrEqualTo(11000));
    }

    [Test]
    public void RowMajorSgemmMatchesTheCpu()
    {
        const int m = 33, n = 47, k = 65;
        var a = RandomFloats(m * k, 1);
        var b = RandomFloats(k * n, 2);
        using var dA = Upload(a);
        using var dB = Upload(b);
        using var dC = Context.Allocate<float>(m * n);
        // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: swap the operands, no transposes.
        Blas.Sgemm(CublasOperation.None, CublasOperation.None, n, m, k, 1f, dB, n, dA, k, 0f, dC, n);
        AssertClose(dC.ToArray(Stream), CpuMath.MatMul(a, b, m, n, k), 1e-5f, "C");
    }

    [Test]
    public void LstmInputProjectionXTimesWTransposedMatchesTheCpu()
    {
        const int batch = 16, input = 40, hidden = 24;
        var x = RandomFloats(batch * input, 3);
        var w = RandomFloats(4 * hidden * input, 4);
        using var dX = Upload(x);
        using var dW = Upload(w);
        using var dG = Context.Allocate<float>(batch * 4 * hidden);
        // G[B,4H] = X[B,I]·W[4H,I]ᵀ (row-major) = column-major Gᵀ(4H×B) = Wᵀ... : op(W)=T with lda=I, X with ldb=I.
        Blas.Sgemm(CublasOperation.Transpose, CublasOperation.None, 4 * hidden, batch, input, 1f, dW, input, dX, input, 0f, dG, 4 * hidden);
        AssertClose(dG.ToArray(Stream), CpuMath.MatMul(x, w, batch, 4 * hidden, input, bTransposed: true), 1e-5f, "G");
    }

    [Test]
    public void StridedBatchedSgemmMatchesTheCpu()
    {
        const int m = 8, n = 12, k = 20, batches = 5;
        var a = RandomFloats(batches * m * k, 5);
        var b = RandomFloats(batches * k * n, 6);
        using var dA = Upload(a);
        using var dB = Upload(b);
        using var dC = Context.Allocate<float>(batches * m * n);
        Blas.SgemmStridedBatched(CublasOperation.None, CublasOperation.None, n, m, k, 1f, dB, n, k * n, dA, k, m * k, 0f, dC, n, m * n, batches);
        var c = dC.ToArray(Stream);
        for (var i = 0; i < batches; i++)
            AssertClose(c.AsSpan(i * m * n, m * n), CpuMath.MatMul(a.AsSpan(i * m * k, m * k), b.AsSpan(i * k * n, k * n), m, n, k), 1e-5f, $"batch {i}");
    }

    [TestCase(CublasComputeType.Fp32, 1e-5f)]
    [TestCase(CublasComputeType.Fp32FastTf32, 1e-2f)]
    [TestCase(CublasComputeType.Fp32FastBf16, 3e-2f)]
    [TestCase(CublasComputeType.Fp32FastFp16, 1e-2f)]
    public void GemmExComputeModesStayWithinTheirPrecision(CublasComputeType compute, float tolerance)
    {
        const int m = 64, n = 64, k = 128;
        var a = RandomFloats(m * k, 7);
        var b = RandomFloats(k * n, 8);
        using var dA = Upload(a);
        using var dB = Upload(b);
        using var dC = Context.Allocate<float>(m * n);
        Blas.GemmEx(CublasOperation.None, CublasOperation.None, n, m, k, 1f, dB.Pointer, CudaDataType.Fp32, n, dA.Pointer, CudaDataType.Fp32, k, 0f, dC.Pointer, CudaDataType.Fp32, n, compute);
        // Relative to the size of the dot products (about sqrt(k)/3 here), not to each result.
        var expected = CpuMath.MatMul(a, b, m, n, k);
        var scale = MathF.Sqrt(k);
        var actual = dC.ToArray(Stream);
        var worst = actual.Zip(expected, (x, y) => MathF.Abs(x - y) / scale).Max();
        TestContext.Out.WriteLine($"{compute}: worst error / sqrt(k) = {worst:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance));
    }

    [Test]
    public void GemmExWithHalfInputsAndFloatOutput()
    {
        const int m = 32, n = 32, k = 64;
        var a = RandomFloats(m * k, 9).Select(v => (Half)v).ToArray();
        var b = RandomFloats(k * n, 10).Select(v => (Half)v).ToArray();
        using var dA = Context.Allocate<Half>(a.Length);
        using var dB = Context.Allocate<Half>(b.Length);
        dA.CopyFromHost(a, 0, Stream);
        dB.CopyFromHost(b, 0, Stream);
        using var dC = Context.Allocate<float>(m * n);
        Blas.GemmEx(CublasOperation.None, CublasOperation.None, n, m, k, 1f, dB.Pointer, CudaDataType.Fp16, n, dA.Pointer, CudaDataType.Fp16, k, 0f, dC.Pointer, CudaDataType.Fp32, n, CublasComputeType.Fp32);
        var expected = CpuMath.MatMul(a.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), m, n, k);
        AssertClose(dC.ToArray(Stream), expected, 1e-4f, "C");
    }

    [Test]
    public void InvalidArgumentsBecomeCublasExceptions()
    {
        using var buffer = Context.Allocate<float>(16);
        // lda below m is refused by our own check first; a negative m reaches cuBLAS.
        Assert.Throws<ArgumentException>(() => Blas.Sgemm(CublasOperation.None, CublasOperation.None, 4, 4, 4, 1f, buffer, 2, buffer, 4, 0f, buffer, 4));
        var e = Assert.Throws<CublasException>(() => Blas.GemmEx(CublasOperation.None, CublasOperation.None, -1, 4, 4, 1f, buffer.Pointer, CudaDataType.Fp32, 4, buffer.Pointer, CudaDataType.Fp32, 4, 0f, buffer.Pointer, CudaDataType.Fp32, 4, CublasComputeType.Fp32));
        Assert.That(e!.StatusName, Is.EqualTo("CUBLAS_STATUS_INVALID_VALUE"));
    }

    private DeviceBuffer<float> Upload(float[] data)
    {
        var buffer = Context.Allocate<float>(data.Length);
        buffer.CopyFromHost(data, stream: Stream);
        return buffer;
    }
}
