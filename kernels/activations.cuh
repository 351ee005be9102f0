// Activation helpers shared by the kernels in this folder.
// Precise expf/tanhf on purpose: the first kernels must be obviously right, and they are checked
// against the scalar CPU reference; fast-math intrinsics (__expf) can come later, measured.
#pragma once

__device__ __forceinline__ float lstmnative_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

__device__ __forceinline__ float lstmnative_tanh(float x)
{
    return tanhf(x);
}
