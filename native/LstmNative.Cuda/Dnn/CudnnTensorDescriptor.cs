using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>An N-dimensional tensor descriptor (the RNN API uses it for h/c states and weight-parameter shapes).</summary>
public sealed unsafe class CudnnTensorDescriptor : IDisposable
{
    private const int MaxDimensions = 8;
    private readonly CudnnNativeHandle _handle;

    /// <summary>Creates an unset descriptor.</summary>
    public CudnnTensorDescriptor(CudnnHandle cudnn)
    {
        ArgumentNullException.ThrowIfNull(cudnn);
        _handle = new CudnnNativeHandle(cudnn.Context.Handle, CudnnHandleKind.Tensor);
        nint raw;
        Check.Dnn(Cudnn.cudnnCreateTensorDescriptor(&raw));
        _handle.Adopt(raw);
    }

    internal nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Creates a fully packed (row-major) descriptor of <paramref name="dimensions"/>.</summary>
    public static CudnnTensorDescriptor Packed(CudnnHandle cudnn, CudnnDataType dataType, params ReadOnlySpan<int> dimensions)
    {
        var descriptor = new CudnnTensorDescriptor(cudnn);
        descriptor.Set(dataType, dimensions, PackedStrides(dimensions));
        return descriptor;
    }

    /// <summary>Row-major strides of <paramref name="dimensions"/>: the last dimension has stride 1.</summary>
    public static int[] PackedStrides(ReadOnlySpan<int> dimensions)
    {
        var strides = new int[dimensions.Length];
        var stride = 1;
        for (var i = dimensions.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride = checked(stride * dimensions[i]);
        }
        return strides;
    }

    /// <summary>Sets the type, dimensions and strides (3 to 8 dimensions).</summary>
    public void Set(CudnnDataType dataType, ReadOnlySpan<int> dimensions, ReadOnlySpan<int> strides)
    {
        if (dimensions.Length != strides.Length || dimensions.Length is < 1 or > MaxDimensions)
            throw new ArgumentException("dimensions and strides must have the same length, 1 to 8");
        fixed (int* d = dimensions)
        fixed (int* s = strides)
            Check.Dnn(Cudnn.cudnnSetTensorNdDescriptor(Raw, (int)dataType, dimensions.Length, d, s));
    }

    /// <summary>Reads back the type, dimensions and strides.</summary>
    public (CudnnDataType DataType, int[] Dimensions, int[] Strides) Get()
    {
        int dataType, count;
        int* dims = stackalloc int[MaxDimensions];
        int* strides = stackalloc int[MaxDimensions];
        Check.Dnn(Cudnn.cudnnGetTensorNdDescriptor(Raw, MaxDimensions, &dataType, &count, dims, strides));
        return ((CudnnDataType)dataType, new ReadOnlySpan<int>(dims, count).ToArray(), new ReadOnlySpan<int>(strides, count).ToArray());
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
