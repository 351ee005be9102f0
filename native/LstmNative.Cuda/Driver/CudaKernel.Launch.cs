// The typed launch overloads, kept for the arities in use: 1 (the engine's kernels take one parameter struct) and 9
// (the binding's smoke-test kernel, lstm_pointwise_forward). Each argument is an unmanaged value received by value (so it
// lives on this frame), and the driver gets a stackalloc'd array of their addresses: no boxing, nothing on the heap.
// Other arities go through LaunchRaw.
namespace LstmNative.Cuda;

public sealed unsafe partial class CudaKernel
{
    /// <summary>Queues the kernel with 1 argument on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    public void Launch<T1>(in LaunchConfig config, CudaStream? stream, T1 a1)
        where T1 : unmanaged
    {
        void** args = stackalloc void*[1];
        args[0] = &a1;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 9 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a2">Kernel parameter 1; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a3">Kernel parameter 2; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a4">Kernel parameter 3; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a5">Kernel parameter 4; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a6">Kernel parameter 5; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a7">Kernel parameter 6; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a8">Kernel parameter 7; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a9">Kernel parameter 8; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    /// <typeparam name="T6">The type of kernel parameter 5.</typeparam>
    /// <typeparam name="T7">The type of kernel parameter 6.</typeparam>
    /// <typeparam name="T8">The type of kernel parameter 7.</typeparam>
    /// <typeparam name="T9">The type of kernel parameter 8.</typeparam>
    public void Launch<T1, T2, T3, T4, T5, T6, T7, T8, T9>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
        where T6 : unmanaged
        where T7 : unmanaged
        where T8 : unmanaged
        where T9 : unmanaged
    {
        void** args = stackalloc void*[9];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        args[5] = &a6;
        args[6] = &a7;
        args[7] = &a8;
        args[8] = &a9;
        LaunchRaw(config, stream, args);
    }

}
