using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>Describes RNN input or output data: layout, longest sequence, batch, vector size, each sequence's length.</summary>
public sealed unsafe class CudnnRnnDataDescriptor : IDisposable
{
    private readonly CudnnNativeHandle _handle;

    /// <summary>Creates and sets a data descriptor.</summary>
    /// <param name="cudnn">The handle.</param>
    /// <param name="dataType">Element type.</param>
    /// <param name="layout">Memory layout.</param>
    /// <param name="maxSequenceLength">T, the longest sequence.</param>
    /// <param name="vectorSize">Features per step (input size for x, hidden size times directions for y).</param>
    /// <param name="sequenceLengths">Each batch entry's length, on the host (B entries).</param>
    /// <param name="paddingFill">Value written to y where a sequence has ended.</param>
    public CudnnRnnDataDescriptor(CudnnHandle cudnn, CudnnDataType dataType, CudnnRnnDataLayout layout, int maxSequenceLength, int vectorSize, ReadOnlySpan<int> sequenceLengths, float paddingFill = 0f)
    {
        ArgumentNullException.ThrowIfNull(cudnn);
        _handle = new CudnnNativeHandle(cudnn.Context.Handle, CudnnHandleKind.RnnData);
        nint raw;
        Check.Dnn(Cudnn.cudnnCreateRNNDataDescriptor(&raw));
        _handle.Adopt(raw);
        BatchSize = sequenceLengths.Length;
        MaxSequenceLength = maxSequenceLength;
        VectorSize = vectorSize;
        // paddingFill is read as the descriptor's data type; only float data gets a fill value here.
        var fill = paddingFill;
        fixed (int* lengths = sequenceLengths)
            Check.Dnn(Cudnn.cudnnSetRNNDataDescriptor(Raw, (int)dataType, (int)layout, maxSequenceLength, BatchSize, vectorSize, lengths, dataType == CudnnDataType.Float ? &fill : null));
    }

    /// <summary>B.</summary>
    public int BatchSize { get; }

    /// <summary>T.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Features per step.</summary>
    public int VectorSize { get; }

    internal nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
