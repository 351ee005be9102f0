// Global gradient norm for clip_grad_norm_, on the device: pass 1 writes one double partial sum of squares per
// block (grid-stride, fixed grid), pass 2 adds the partials in block order into scalars.grad_sq. Two passes with a
// fixed grid instead of atomics: the same gradients always give the same norm, bit for bit.
// (Clipping by value and the scaling by the norm factor are folded into lntr_optimizer_update.)

#include "train_common.cuh"

extern "C" __global__ void lntr_sq_norm_partials(const lntr_sq_norm p)
{
    double sum = 0.0;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += stride) {
        const double v = (double)p.x[i];
        sum += v * v;
    }
    sum = lntr_block_sum(sum);
    if (threadIdx.x == 0) {
        p.partials[blockIdx.x] = sum;
    }
}

extern "C" __global__ void lntr_sq_norm_finish(const lntr_sq_norm p)
{
    double sum = 0.0;
    for (int i = threadIdx.x; i < p.blocks; i += blockDim.x) {
        sum += p.partials[i];
    }
    sum = lntr_block_sum(sum);
    if (threadIdx.x == 0) {
        p.s->grad_sq = sum;
    }
}
