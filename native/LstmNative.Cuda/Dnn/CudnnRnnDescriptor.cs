using LstmNative.Cuda.Handles;
using LstmNative.Cuda.Interop;

namespace LstmNative.Cuda;

/// <summary>Device memory the RNN calls read and write: weights, workspace and reserve space (pointers and sizes in bytes).</summary>
/// <param name="Weights">The weight space (or its gradient, for <see cref="CudnnRnnDescriptor.BackwardWeights"/>).</param>
/// <param name="WeightBytes">Size of the weight space.</param>
/// <param name="Work">Workspace.</param>
/// <param name="WorkBytes">Size of the workspace.</param>
/// <param name="Reserve">Reserve space (training only; 0 for inference).</param>
/// <param name="ReserveBytes">Size of the reserve space.</param>
public readonly record struct CudnnRnnSpaces(ulong Weights, long WeightBytes, ulong Work, long WorkBytes, ulong Reserve, long ReserveBytes);

/// <summary>Where one weight matrix and its bias live inside the weight space, with their shapes.</summary>
/// <param name="Matrix">Device address of the matrix (row-major [rows, columns] as cuDNN lays it out), or 0.</param>
/// <param name="MatrixDimensions">The matrix descriptor's dimensions.</param>
/// <param name="Bias">Device address of the bias, or 0.</param>
/// <param name="BiasDimensions">The bias descriptor's dimensions.</param>
public sealed record CudnnWeightParameter(ulong Matrix, int[] MatrixDimensions, ulong Bias, int[] BiasDimensions);

/// <summary>
/// A cuDNN RNN (cudnnSetRNNDescriptor_v8) and the v8 RNN API that uses it: weight-space queries,
/// cudnnRNNForward, cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8. All calls queue on the handle's stream.
/// </summary>
public sealed unsafe class CudnnRnnDescriptor : IDisposable
{
    private readonly CudnnNativeHandle _handle;
    private readonly CudnnHandle _cudnn;

    /// <summary>Creates and sets the descriptor.</summary>
    public CudnnRnnDescriptor(CudnnHandle cudnn, CudnnRnnSettings settings, CudnnDropoutDescriptor dropout)
    {
        ArgumentNullException.ThrowIfNull(cudnn);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(dropout);
        _cudnn = cudnn;
        Settings = settings;
        _handle = new CudnnNativeHandle(cudnn.Context.Handle, CudnnHandleKind.Rnn);
        nint raw;
        Check.Dnn(Cudnn.cudnnCreateRNNDescriptor(&raw));
        _handle.Adopt(raw);
        Check.Dnn(Cudnn.cudnnSetRNNDescriptor_v8(
            Raw, (int)settings.Algorithm, (int)settings.Mode, (int)settings.BiasMode, (int)settings.Direction,
            (int)settings.InputMode, (int)settings.DataType, (int)settings.MathPrecision, (int)settings.MathType,
            settings.InputSize, settings.HiddenSize, settings.ProjectionSize ?? settings.HiddenSize, settings.Layers,
            dropout.Raw, settings.PaddedIo ? 1u : 0u));
    }

    /// <summary>The settings the descriptor was made with.</summary>
    public CudnnRnnSettings Settings { get; }

    private nint Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Bytes of the weight space (all matrices and biases of all layers).</summary>
    public long WeightSpaceBytes()
    {
        nuint bytes;
        Check.Dnn(Cudnn.cudnnGetRNNWeightSpaceSize(_cudnn.Raw, Raw, &bytes));
        return (long)bytes;
    }

    /// <summary>Workspace and reserve-space bytes for a call in <paramref name="mode"/> on data shaped like <paramref name="x"/>.</summary>
    public (long WorkBytes, long ReserveBytes) TempSpaceBytes(CudnnForwardMode mode, CudnnRnnDataDescriptor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        nuint work, reserve;
        Check.Dnn(Cudnn.cudnnGetRNNTempSpaceSizes(_cudnn.Raw, Raw, (int)mode, x.Raw, &work, &reserve));
        return ((long)work, (long)reserve);
    }

    /// <summary>
    /// Where matrix/bias <paramref name="linearLayerId"/> of <paramref name="pseudoLayer"/> (layer × direction) lives.
    /// For LSTM, ids 0-3 are the input matrices W_i, W_f, W_g, W_o and 4-7 the recurrent ones; GRU: 0-2 and 3-5 (r, z, n).
    /// </summary>
    public CudnnWeightParameter GetWeightParameter(int pseudoLayer, ulong weightSpace, long weightSpaceBytes, int linearLayerId)
    {
        using var matrix = new CudnnTensorDescriptor(_cudnn);
        using var bias = new CudnnTensorDescriptor(_cudnn);
        ulong matrixAddress, biasAddress;
        Check.Dnn(Cudnn.cudnnGetRNNWeightParams(_cudnn.Raw, Raw, pseudoLayer, (nuint)weightSpaceBytes, weightSpace, linearLayerId, matrix.Raw, &matrixAddress, bias.Raw, &biasAddress));
        return new CudnnWeightParameter(
            matrixAddress, matrixAddress == 0 ? [] : matrix.Get().Dimensions,
            biasAddress, biasAddress == 0 ? [] : bias.Get().Dimensions);
    }

    /// <summary>
    /// cudnnRNNForward. <paramref name="deviceSequenceLengths"/> is an int32 array in device memory (B entries);
    /// h/c descriptors are [layers × directions, B, H]; pass 0 for an absent hx/cx (zeros) or hy/cy (not written),
    /// and a null <paramref name="c"/> for GRU.
    /// </summary>
    public void Forward(
        CudnnForwardMode mode, ulong deviceSequenceLengths,
        CudnnRnnDataDescriptor xDescriptor, ulong x, CudnnRnnDataDescriptor yDescriptor, ulong y,
        CudnnTensorDescriptor h, ulong hx, ulong hy, CudnnTensorDescriptor? c, ulong cx, ulong cy, in CudnnRnnSpaces spaces)
    {
        ArgumentNullException.ThrowIfNull(xDescriptor);
        ArgumentNullException.ThrowIfNull(yDescriptor);
        ArgumentNullException.ThrowIfNull(h);
        Check.Dnn(Cudnn.cudnnRNNForward(
            _cudnn.Raw, Raw, (int)mode, deviceSequenceLengths, xDescriptor.Raw, x, yDescriptor.Raw, y,
            h.Raw, hx, hy, c?.Raw ?? 0, cx, cy,
            (nuint)spaces.WeightBytes, spaces.Weights, (nuint)spaces.WorkBytes, spaces.Work, (nuint)spaces.ReserveBytes, spaces.Reserve));
    }

    /// <summary>cudnnRNNBackwardData_v8: gradients with respect to x, hx and cx, after a training forward.</summary>
    public void BackwardData(
        ulong deviceSequenceLengths,
        CudnnRnnDataDescriptor yDescriptor, ulong y, ulong dy, CudnnRnnDataDescriptor xDescriptor, ulong dx,
        CudnnTensorDescriptor h, ulong hx, ulong dhy, ulong dhx,
        CudnnTensorDescriptor? c, ulong cx, ulong dcy, ulong dcx, in CudnnRnnSpaces spaces)
    {
        ArgumentNullException.ThrowIfNull(yDescriptor);
        ArgumentNullException.ThrowIfNull(xDescriptor);
        ArgumentNullException.ThrowIfNull(h);
        Check.Dnn(Cudnn.cudnnRNNBackwardData_v8(
            _cudnn.Raw, Raw, deviceSequenceLengths, yDescriptor.Raw, y, dy, xDescriptor.Raw, dx,
            h.Raw, hx, dhy, dhx, c?.Raw ?? 0, cx, dcy, dcx,
            (nuint)spaces.WeightBytes, spaces.Weights, (nuint)spaces.WorkBytes, spaces.Work, (nuint)spaces.ReserveBytes, spaces.Reserve));
    }

    /// <summary>
    /// cudnnRNNBackwardWeights_v8: weight gradients, written to <paramref name="spaces"/>.Weights (the gradient
    /// buffer, same size as the weight space), after <see cref="BackwardData"/>.
    /// </summary>
    public void BackwardWeights(
        CudnnWeightGradientMode mode, ulong deviceSequenceLengths,
        CudnnRnnDataDescriptor xDescriptor, ulong x, CudnnTensorDescriptor h, ulong hx,
        CudnnRnnDataDescriptor yDescriptor, ulong y, in CudnnRnnSpaces spaces)
    {
        ArgumentNullException.ThrowIfNull(xDescriptor);
        ArgumentNullException.ThrowIfNull(yDescriptor);
        ArgumentNullException.ThrowIfNull(h);
        Check.Dnn(Cudnn.cudnnRNNBackwardWeights_v8(
            _cudnn.Raw, Raw, (int)mode, deviceSequenceLengths, xDescriptor.Raw, x, h.Raw, hx, yDescriptor.Raw, y,
            (nuint)spaces.WeightBytes, spaces.Weights, (nuint)spaces.WorkBytes, spaces.Work, (nuint)spaces.ReserveBytes, spaces.Reserve));
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
