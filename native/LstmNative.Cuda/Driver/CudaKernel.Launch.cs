// The typed launch overloads, 1 to 12 arguments. They differ only in arity: each argument is an unmanaged
// value received by value (so it lives on this frame), and the driver gets a stackalloc'd array of their
// addresses. No boxing, no object[], nothing on the heap.
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

    /// <summary>Queues the kernel with 2 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a2">Kernel parameter 1; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    public void Launch<T1, T2>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2)
        where T1 : unmanaged
        where T2 : unmanaged
    {
        void** args = stackalloc void*[2];
        args[0] = &a1;
        args[1] = &a2;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 3 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a2">Kernel parameter 1; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a3">Kernel parameter 2; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    public void Launch<T1, T2, T3>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
    {
        void** args = stackalloc void*[3];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 4 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a2">Kernel parameter 1; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a3">Kernel parameter 2; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a4">Kernel parameter 3; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    public void Launch<T1, T2, T3, T4>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
    {
        void** args = stackalloc void*[4];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 5 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a2">Kernel parameter 1; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a3">Kernel parameter 2; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a4">Kernel parameter 3; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a5">Kernel parameter 4; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    public void Launch<T1, T2, T3, T4, T5>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
    {
        void** args = stackalloc void*[5];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 6 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a2">Kernel parameter 1; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a3">Kernel parameter 2; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a4">Kernel parameter 3; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a5">Kernel parameter 4; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a6">Kernel parameter 5; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    /// <typeparam name="T6">The type of kernel parameter 5.</typeparam>
    public void Launch<T1, T2, T3, T4, T5, T6>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
        where T6 : unmanaged
    {
        void** args = stackalloc void*[6];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        args[5] = &a6;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 7 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
    /// <param name="config">Grid, block and dynamic shared memory.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="a1">Kernel parameter 0; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a2">Kernel parameter 1; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a3">Kernel parameter 2; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a4">Kernel parameter 3; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a5">Kernel parameter 4; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a6">Kernel parameter 5; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a7">Kernel parameter 6; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    /// <typeparam name="T6">The type of kernel parameter 5.</typeparam>
    /// <typeparam name="T7">The type of kernel parameter 6.</typeparam>
    public void Launch<T1, T2, T3, T4, T5, T6, T7>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
        where T6 : unmanaged
        where T7 : unmanaged
    {
        void** args = stackalloc void*[7];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        args[5] = &a6;
        args[6] = &a7;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 8 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
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
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    /// <typeparam name="T6">The type of kernel parameter 5.</typeparam>
    /// <typeparam name="T7">The type of kernel parameter 6.</typeparam>
    /// <typeparam name="T8">The type of kernel parameter 7.</typeparam>
    public void Launch<T1, T2, T3, T4, T5, T6, T7, T8>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
        where T6 : unmanaged
        where T7 : unmanaged
        where T8 : unmanaged
    {
        void** args = stackalloc void*[8];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        args[5] = &a6;
        args[6] = &a7;
        args[7] = &a8;
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

    /// <summary>Queues the kernel with 10 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
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
    /// <param name="a10">Kernel parameter 9; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    /// <typeparam name="T6">The type of kernel parameter 5.</typeparam>
    /// <typeparam name="T7">The type of kernel parameter 6.</typeparam>
    /// <typeparam name="T8">The type of kernel parameter 7.</typeparam>
    /// <typeparam name="T9">The type of kernel parameter 8.</typeparam>
    /// <typeparam name="T10">The type of kernel parameter 9.</typeparam>
    public void Launch<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
        where T6 : unmanaged
        where T7 : unmanaged
        where T8 : unmanaged
        where T9 : unmanaged
        where T10 : unmanaged
    {
        void** args = stackalloc void*[10];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        args[5] = &a6;
        args[6] = &a7;
        args[7] = &a8;
        args[8] = &a9;
        args[9] = &a10;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 11 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
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
    /// <param name="a10">Kernel parameter 9; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a11">Kernel parameter 10; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    /// <typeparam name="T6">The type of kernel parameter 5.</typeparam>
    /// <typeparam name="T7">The type of kernel parameter 6.</typeparam>
    /// <typeparam name="T8">The type of kernel parameter 7.</typeparam>
    /// <typeparam name="T9">The type of kernel parameter 8.</typeparam>
    /// <typeparam name="T10">The type of kernel parameter 9.</typeparam>
    /// <typeparam name="T11">The type of kernel parameter 10.</typeparam>
    public void Launch<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
        where T6 : unmanaged
        where T7 : unmanaged
        where T8 : unmanaged
        where T9 : unmanaged
        where T10 : unmanaged
        where T11 : unmanaged
    {
        void** args = stackalloc void*[11];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        args[5] = &a6;
        args[6] = &a7;
        args[7] = &a8;
        args[8] = &a9;
        args[9] = &a10;
        args[10] = &a11;
        LaunchRaw(config, stream, args);
    }

    /// <summary>Queues the kernel with 12 arguments on <paramref name="stream"/> (null: the legacy default stream); returns at once.</summary>
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
    /// <param name="a10">Kernel parameter 9; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a11">Kernel parameter 10; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <param name="a12">Kernel parameter 11; its type must match the kernel's parameter exactly (e.g. ulong for a pointer, int for int).</param>
    /// <typeparam name="T1">The type of kernel parameter 0.</typeparam>
    /// <typeparam name="T2">The type of kernel parameter 1.</typeparam>
    /// <typeparam name="T3">The type of kernel parameter 2.</typeparam>
    /// <typeparam name="T4">The type of kernel parameter 3.</typeparam>
    /// <typeparam name="T5">The type of kernel parameter 4.</typeparam>
    /// <typeparam name="T6">The type of kernel parameter 5.</typeparam>
    /// <typeparam name="T7">The type of kernel parameter 6.</typeparam>
    /// <typeparam name="T8">The type of kernel parameter 7.</typeparam>
    /// <typeparam name="T9">The type of kernel parameter 8.</typeparam>
    /// <typeparam name="T10">The type of kernel parameter 9.</typeparam>
    /// <typeparam name="T11">The type of kernel parameter 10.</typeparam>
    /// <typeparam name="T12">The type of kernel parameter 11.</typeparam>
    public void Launch<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(in LaunchConfig config, CudaStream? stream, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11, T12 a12)
        where T1 : unmanaged
        where T2 : unmanaged
        where T3 : unmanaged
        where T4 : unmanaged
        where T5 : unmanaged
        where T6 : unmanaged
        where T7 : unmanaged
        where T8 : unmanaged
        where T9 : unmanaged
        where T10 : unmanaged
        where T11 : unmanaged
        where T12 : unmanaged
    {
        void** args = stackalloc void*[12];
        args[0] = &a1;
        args[1] = &a2;
        args[2] = &a3;
        args[3] = &a4;
        args[4] = &a5;
        args[5] = &a6;
        args[6] = &a7;
        args[7] = &a8;
        args[8] = &a9;
        args[9] = &a10;
        args[10] = &a11;
        args[11] = &a12;
        LaunchRaw(config, stream, args);
    }
}
