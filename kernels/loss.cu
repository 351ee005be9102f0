// Pointwise losses on the device (MSE, L1, Huber; mean or sum), mirroring LstmNative.Training's PointwiseLoss:
// grad[i] = grad_scale * dLoss(pred[i] - target[i]) with grad_scale = 1/count (mean) computed in float as the CPU
// does. The loss value is summed in double per block (pass 1), then in block order (pass 2) into scalars.loss (and,
// for training steps, added to scalars.loss_sum): it stays on the device until the host asks for it.

#include "train_common.cuh"

#define LNTR_LOSS_MSE 0
#define LNTR_LOSS_L1 1
#define LNTR_LOSS_HUBER 2

extern "C" __global__ void lntr_loss_pointwise(const lntr_loss p)
{
    double sum = 0.0;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += stride) {
        const float d = __fsub_rn(p.pred[i], p.target[i]);
        float value, deriv;
        if (p.kind == LNTR_LOSS_MSE) {
            value = __fmul_rn(d, d);
            deriv = __fadd_rn(d, d);
        } else if (p.kind == LNTR_LOSS_L1) {
            value = fabsf(d);
            deriv = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
        } else {
            const float a = fabsf(d);
            value = a <= p.delta ? __fmul_rn(__fmul_rn(0.5f, d), d) : __fmul_rn(p.delta, __fsub_rn(a, __fmul_rn(0.5f, p.delta)));
            deriv = d < -p.delta ? -p.delta : (d > p.delta ? p.delta : d);
        }
        p.grad[i] = __fmul_rn(p.grad_scale, deriv);
        sum += (double)value;
    }
    sum = lntr_block_sum(sum);
    if (threadIdx.x == 0) {
        p.partials[blockIdx.x] = sum;
    }
}

extern "C" __global__ void lntr_loss_finish(const lntr_loss p)
{
    double sum = 0.0;
    for (int i = threadIdx.x; i < p.blocks; i += blockDim.x) {
        sum += p.partials[i];
    }
    sum = lntr_block_sum(sum);
    if (threadIdx.x == 0) {
        const double loss = p.mean != 0 ? sum / (double)p.count : sum;
        p.s->loss = loss;
        if (p.accumulate != 0) {
            p.s->loss_sum += loss;
            p.s->loss_count += 1;
        }
    }
}
