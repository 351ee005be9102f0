// The fused optimizer step over the flat parameter buffer (every weight of every layer in one array), with the
// gradient clipping folded in, so a training step ends in two launches and no host round trip:
//
//   lntr_optimizer_prepare  (1 thread)  step += 1; Adam's step size and bias correction, AdamW's shrink, in double
//                                       from the device-resident learning rate; the global-norm clipping factor
//   lntr_optimizer_update   (1 thread per element) clip, then SGD / Adam / AdamW exactly as LstmNative.Training
//
// The arithmetic mirrors LstmNative.Training's Sgd/Adam/AdamW in float, operation for operation, with the
// round-to-nearest intrinsics so that nvcc does not contract a*b+c into an FMA: the host mirror
// (FusedOptimizerMath.cs) is checked against the CPU optimizers, and this kernel is checked against the mirror.

#include "train_common.cuh"

#define LNTR_OPT_SGD 0
#define LNTR_OPT_ADAM 1
#define LNTR_OPT_ADAMW 2
#define LNTR_CLIP_VALUE 1
#define LNTR_CLIP_NORM 2

extern "C" __global__ void lntr_optimizer_prepare(const lntr_optimizer p)
{
    if (blockIdx.x != 0 || threadIdx.x != 0) {
        return;
    }
    lntr_scalars* s = p.s;
    const int t = s->step + 1;
    s->step = t;
    const double lr = s->lr;
    if (p.kind != LNTR_OPT_SGD) {
        s->step_size = (float)(lr / (1.0 - pow(p.beta1d, (double)t)));
        s->sqrt_bc2 = (float)sqrt(1.0 - pow(p.beta2d, (double)t));
        s->shrink = p.kind == LNTR_OPT_ADAMW ? (float)(1.0 - lr * p.weight_decay_d) : 1.0f;
    }
    s->apply_clip = 0;
    s->clip_factor = 1.0f;
    if (p.clip_mode == LNTR_CLIP_NORM) {
        // clip_grad_norm_: factor max_norm / (norm + 1e-6), applied only when below 1.
        const double norm = sqrt(s->grad_sq);
        const double factor = p.max_norm / (norm + 1e-6);
        s->grad_norm = norm;
        if (factor < 1.0) {
            s->apply_clip = 1;
            s->clip_factor = (float)factor;
        }
    }
}

extern "C" __global__ void lntr_optimizer_update(const lntr_optimizer p)
{
    const lntr_scalars* s = p.s;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const bool apply_norm = p.clip_mode == LNTR_CLIP_NORM && s->apply_clip != 0;
    const float factor = s->clip_factor;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += stride) {
        float g = p.grad[i];
        if (p.clip_mode == LNTR_CLIP_VALUE) {
            g = g < -p.clip_value ? -p.clip_value : (g > p.clip_value ? p.clip_value : g);
        } else if (apply_norm) {
            g = __fmul_rn(g, factor);
        }
        float value = p.param[i];
        if (p.kind == LNTR_OPT_SGD) {
            const float lr = (float)s->lr;
            g = __fadd_rn(g, __fmul_rn(p.weight_decay, value));
            if (p.m != nullptr) {
                const float keep = __fsub_rn(1.0f, p.dampening);
                const float buf = s->step == 1 ? g : __fadd_rn(__fmul_rn(p.momentum, p.m[i]), __fmul_rn(keep, g));
                p.m[i] = buf;
                g = p.nesterov != 0 ? __fadd_rn(g, __fmul_rn(p.momentum, buf)) : buf;
            }
            p.param[i] = __fsub_rn(value, __fmul_rn(lr, g));
        } else {
            const float l2 = p.kind == LNTR_OPT_ADAMW ? 0.0f : p.weight_decay;
            g = __fadd_rn(g, __fmul_rn(l2, value));
            value = __fmul_rn(value, s->shrink);
            const float m = __fadd_rn(__fmul_rn(p.beta1, p.m[i]), __fmul_rn(__fsub_rn(1.0f, p.beta1), g));
            const float v = __fadd_rn(__fmul_rn(p.beta2, p.v[i]), __fmul_rn(__fmul_rn(__fsub_rn(1.0f, p.beta2), g), g));
            p.m[i] = m;
            p.v[i] = v;
            const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v), s->sqrt_bc2), p.eps);
            p.param[i] = __fsub_rn(value, __fdiv_rn(__fmul_rn(s->step_size, m), denom));
        }
    }
}
