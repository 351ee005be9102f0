using System.Runtime.InteropServices;

namespace LstmNative.Cuda.Interop;

/// <summary>
/// cuDNN 9 (libcudnn.so.9; the v8 RNN API below also exists in cuDNN 8), exact exported symbols: the handle,
/// tensor and dropout descriptors, and the RNN API the baselines use. Status codes are <c>cudnnStatus_t</c> as
/// <see cref="int"/>; enums are passed as <see cref="int"/>.
/// </summary>
internal static unsafe partial class Cudnn
{
    [LibraryImport(LibraryNames.Cudnn)] internal static partial nuint cudnnGetVersion();
    [LibraryImport(LibraryNames.Cudnn)] internal static partial byte* cudnnGetErrorString(int status);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial void cudnnGetLastErrorString(byte* message, nuint maxSize);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnCreate(nint* handle);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnDestroy(nint handle);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnSetStream(nint handle, nint stream);

    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnCreateTensorDescriptor(nint* descriptor);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnDestroyTensorDescriptor(nint descriptor);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnSetTensorNdDescriptor(nint descriptor, int dataType, int dimensions, int* dims, int* strides);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnGetTensorNdDescriptor(nint descriptor, int requested, int* dataType, int* dimensions, int* dims, int* strides);

    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnCreateDropoutDescriptor(nint* descriptor);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnDestroyDropoutDescriptor(nint descriptor);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnDropoutGetStatesSize(nint handle, nuint* bytes);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnSetDropoutDescriptor(nint descriptor, nint handle, float dropout, ulong states, nuint stateBytes, ulong seed);

    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnCreateRNNDescriptor(nint* descriptor);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnDestroyRNNDescriptor(nint descriptor);

    [LibraryImport(LibraryNames.Cudnn)]
    internal static partial int cudnnSetRNNDescriptor_v8(
        nint descriptor, int algo, int cellMode, int biasMode, int directionMode, int inputMode,
        int dataType, int mathPrecision, int mathType, int inputSize, int hiddenSize, int projectionSize,
        int layers, nint dropoutDescriptor, uint auxFlags);

    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnCreateRNNDataDescriptor(nint* descriptor);
    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnDestroyRNNDataDescriptor(nint descriptor);

    [LibraryImport(LibraryNames.Cudnn)]
    internal static partial int cudnnSetRNNDataDescriptor(
        nint descriptor, int dataType, int layout, int maxSequenceLength, int batchSize, int vectorSize,
        int* sequenceLengths, void* paddingFill);

    [LibraryImport(LibraryNames.Cudnn)] internal static partial int cudnnGetRNNWeightSpaceSize(nint handle, nint rnn, nuint* bytes);

    [LibraryImport(LibraryNames.Cudnn)]
    internal static partial int cudnnGetRNNTempSpaceSizes(nint handle, nint rnn, int forwardMode, nint xDescriptor, nuint* workBytes, nuint* reserveBytes);

    [LibraryImport(LibraryNames.Cudnn)]
    internal static partial int cudnnGetRNNWeightParams(
        nint handle, nint rnn, int pseudoLayer, nuint weightSpaceBytes, ulong weightSpace, int linearLayerId,
        nint matrixDescriptor, ulong* matrixAddress, nint biasDescriptor, ulong* biasAddress);

    [LibraryImport(LibraryNames.Cudnn)]
    internal static partial int cudnnRNNForward(
        nint handle, nint rnn, int forwardMode, ulong deviceSequenceLengths,
        nint xDescriptor, ulong x, nint yDescriptor, ulong y,
        nint hDescriptor, ulong hx, ulong hy, nint cDescriptor, ulong cx, ulong cy,
        nuint weightSpaceBytes, ulong weightSpace, nuint workSpaceBytes, ulong workSpace,
        nuint reserveSpaceBytes, ulong reserveSpace);

    [LibraryImport(LibraryNames.Cudnn)]
    internal static partial int cudnnRNNBackwardData_v8(
        nint handle, nint rnn, ulong deviceSequenceLengths,
        nint yDescriptor, ulong y, ulong dy, nint xDescriptor, ulong dx,
        nint hDescriptor, ulong hx, ulong dhy, ulong dhx,
        nint cDescriptor, ulong cx, ulong dcy, ulong dcx,
        nuint weightSpaceBytes, ulong weightSpace, nuint workSpaceBytes, ulong workSpace,
        nuint reserveSpaceBytes, ulong reserveSpace);

    [LibraryImport(LibraryNames.Cudnn)]
    internal static partial int cudnnRNNBackwardWeights_v8(
        nint handle, nint rnn, int addGradient, ulong deviceSequenceLengths,
        nint xDescriptor, ulong x, nint hDescriptor, ulong hx, nint yDescriptor, ulong y,
        nuint weightSpaceBytes, ulong dWeightSpace, nuint workSpaceBytes, ulong workSpace,
        nuint reserveSpaceBytes, ulong reserveSpace);
}
