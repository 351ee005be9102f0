using LstmNative.Cuda;
using NUnit.Framework;

namespace LstmNative.Gpu.Tests.Host;

/// <summary>Every CUDA error becomes an exception with the error's name, its text and the call.</summary>
public class ErrorTextTests
{
    [TestCase(2, "CUDA_ERROR_OUT_OF_MEMORY")]
    [TestCase(100, "CUDA_ERROR_NO_DEVICE")]
    [TestCase(209, "CUDA_ERROR_NO_BINARY_FOR_GPU")]
    [TestCase(700, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    [TestCase(1, "CUDA_ERROR_INVALID_VALUE")]
    public void DriverCodesHaveTheirCudaHNames(int code, string name)
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaErrorTable.DescribeFromTable(code).Name, Is.EqualTo(name));
            Assert.That(CudaErrorTable.Describe(code).Name, Is.EqualTo(name)); // the driver, where loaded, agrees
        });
    }

    [Test]
    public void UnknownCodesStillGetAName() =>
        Assert.That(CudaErrorTable.DescribeFromTable(12345).Name, Is.EqualTo("CUDA_ERROR_12345"));

    [Test]
    public void CudaExceptionCarriesNameTextCallAndDetail()
    {
        var e = new CudaException(201, "cuMemcpyHtoD_v2", "1024 bytes");
        Assert.Multiple(() =>
        {
            Assert.That(e.ErrorCode, Is.EqualTo(201));
            Assert.That(e.ErrorName, Is.EqualTo("CUDA_ERROR_INVALID_CONTEXT"));
            Assert.That(e.ErrorText, Is.Not.Empty);
            Assert.That(e.Call, Is.EqualTo("cuMemcpyHtoD_v2"));
            Assert.That(e.Message, Does.StartWith("cuMemcpyHtoD_v2 failed: CUDA_ERROR_INVALID_CONTEXT (201): "));
            Assert.That(e.Message, Does.EndWith("[1024 bytes]"));
        });
    }

    [Test]
    public void OutOfMemoryCarriesTheRequestedSize()
    {
        var e = new CudaOutOfMemoryException(2, "cuMemAlloc_v2", 3L << 40);
        Assert.Multiple(() =>
        {
            Assert.That(e.RequestedBytes, Is.EqualTo(3L << 40));
            Assert.That(e.Message, Does.Contain("3298534883328 bytes"));
            Assert.That(e.ErrorName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
        });
    }

    [Test]
    public void CublasAndCudnnStatusesHaveNames()
    {
        var blas = new CublasException(7, "cublasSgemm_v2", "m=1 n=2 k=3");
        var dnn = new CudnnException(2000, "cudnnRNNForward");
        Assert.Multiple(() =>
        {
            Assert.That(blas.StatusName, Is.EqualTo("CUBLAS_STATUS_INVALID_VALUE"));
            Assert.That(blas.Message, Does.StartWith("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7)"));
            Assert.That(dnn.StatusName, Is.EqualTo("CUDNN_STATUS_BAD_PARAM"));
            Assert.That(dnn.Message, Does.StartWith("cudnnRNNForward failed: CUDNN_STATUS_BAD_PARAM (2000)"));
        });
    }

    [TestCase("CudaDriver.cuMemAlloc_v2(&pointer, (nuint)SizeInBytes)", "cuMemAlloc_v2")]
    [TestCase("Cublas.cublasSgemm_v2(Raw, 0, 0, m, n, k)", "cublasSgemm_v2")]
    [TestCase("cuInit(0)", "cuInit")]
    public void TheCallIsNamedFromTheCallSite(string expression, string call) =>
        Assert.That(Check.CallName(expression), Is.EqualTo(call));
}
