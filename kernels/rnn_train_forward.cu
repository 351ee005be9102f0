// Training-mode forward pointwise kernels: one recurrent step of one layer, both directions in one launch.
//
// Per step the host queues (src/LstmNative.Gpu/Training/GpuRnnStack.cs):
//   scratch[d] = h[d] R[d]^T          one strided-batched cuBLAS GEMM over the directions
//   lntr_*_forward_step               this file: bias, gates, cell update, output, reserve
// after one large input GEMM for all steps, gates = x W^T, queued before the first step.
//
// What the kernels keep for the backward pass (the reserve space, sized once by ReservePlan):
//   LSTM: activated gates (in place of x W^T) and the cell state; GRU: activated gates and q (lbr=1) or r*h (lbr=0).
//   The "general" variants (other activations than the defaults, or ONNX clip) also keep the pre-activations.
// Rows past their sequence length write zeros everywhere (y is zero there, as ONNX says; the reserve holds no
// garbage that a later GEMM could multiply) and leave the carried state alone (the final state is the last valid one).
//
// One thread per (d, b, j): grid (ceil(H / block), B, D) (TrainingLaunch.Step on the host).

#include "train_common.cuh"

template <bool General>
__device__ __forceinline__ void lntr_lstm_forward(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const long long gh = 4LL * H;
    const long long row = ((long long)t * p.batch + b) * D + d;
    float* gates = p.gates + row * gh;
    const long long yidx = ((long long)t * p.batch + b) * ((long long)D * H) + (long long)d * H + j;
    if (t >= lntr_length(p, b)) {
#pragma unroll
        for (int k = 0; k < 4; k++) {
            gates[k * H + j] = 0.0f;
            if (General) {
                p.pre[row * gh + k * H + j] = 0.0f;
            }
        }
        p.cells[row * H + j] = 0.0f;
        p.y[yidx] = 0.0f;
        return;
    }
    const long long state = ((long long)d * p.batch + b) * H + j;
    const float* hr = p.scratch + ((long long)d * p.batch + b) * gh;
    const float* bw = p.bw + d * gh;
    const float* br = p.br + d * gh;

    float ai = gates[j] + bw[j] + br[j] + hr[j];
    float af = gates[H + j] + bw[H + j] + br[H + j] + hr[H + j];
    const float ag = gates[2 * H + j] + bw[2 * H + j] + br[2 * H + j] + hr[2 * H + j];
    float ao = gates[3 * H + j] + bw[3 * H + j] + br[3 * H + j] + hr[3 * H + j];
    const float c_prev = p.c[state];
    const bool peep = (p.flags & LNTR_FLAG_PEEPHOLES) != 0;
    const float* pp = p.peep + (long long)d * 3 * H;
    if (peep) {
        ai += pp[j] * c_prev;
        af += pp[H + j] * c_prev;
    }
    float i, f, g;
    if (General) {
        i = lntr_gate(p, d, 0, ai);
        f = (p.flags & LNTR_FLAG_INPUT_FORGET) != 0 ? 1.0f - i : lntr_gate(p, d, 0, af);
        g = lntr_gate(p, d, 1, ag);
    } else {
        i = lstmnative_sigmoid(ai);
        f = (p.flags & LNTR_FLAG_INPUT_FORGET) != 0 ? 1.0f - i : lstmnative_sigmoid(af);
        g = tanhf(ag);
    }
    const float c = f * c_prev + i * g;
    if (peep) {
        ao += pp[2 * H + j] * c;
    }
    float o, h;
    if (General) {
        o = lntr_gate(p, d, 0, ao);
        const int hk = d * 3 + 2;
        h = o * lstmnative_activate(p.act_kind[hk], p.act_alpha[hk], p.act_beta[hk], c);
        float* pre = p.pre + row * gh;
        pre[j] = ai;
        pre[H + j] = af;
        pre[2 * H + j] = ag;
        pre[3 * H + j] = ao;
    } else {
        o = lstmnative_sigmoid(ao);
        h = o * tanhf(c);
    }
    gates[j] = i;
    gates[H + j] = f;
    gates[2 * H + j] = g;
    gates[3 * H + j] = o;
    p.cells[row * H + j] = c;
    p.y[yidx] = h;
    p.h[state] = h;
    p.c[state] = c;
}

LNTR_STEP_KERNEL(lntr_lstm_forward_step, lntr_lstm_forward<false>)
LNTR_STEP_KERNEL(lntr_lstm_forward_step_general, lntr_lstm_forward<true>)

// GRU, linear_before_reset = 1 (PyTorch, cuDNN): n = g(Wn x + Wbn + r * (Rn h + Rbn)); keeps q = Rn h + Rbn.
template <bool General>
__device__ __forceinline__ void lntr_gru_forward(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const long long gh = 3LL * H;
    const long long row = ((long long)t * p.batch + b) * D + d;
    float* gates = p.gates + row * gh;
    const long long yidx = ((long long)t * p.batch + b) * ((long long)D * H) + (long long)d * H + j;
    if (t >= lntr_length(p, b)) {
#pragma unroll
        for (int k = 0; k < 3; k++) {
            gates[k * H + j] = 0.0f;
            if (General) {
                p.pre[row * gh + k * H + j] = 0.0f;
            }
        }
        p.extra[row * H + j] = 0.0f;
        p.y[yidx] = 0.0f;
        return;
    }
    const long long state = ((long long)d * p.batch + b) * H + j;
    const float* hr = p.scratch + ((long long)d * p.batch + b) * gh;
    const float* bw = p.bw + d * gh;
    const float* br = p.br + d * gh;
    const float ar = gates[j] + bw[j] + br[j] + hr[j];
    const float az = gates[H + j] + bw[H + j] + br[H + j] + hr[H + j];
    float r, z;
    if (General) {
        r = lntr_gate(p, d, 0, ar);
        z = lntr_gate(p, d, 0, az);
    } else {
        r = lstmnative_sigmoid(ar);
        z = lstmnative_sigmoid(az);
    }
    const float q = hr[2 * H + j] + br[2 * H + j];
    const float an = gates[2 * H + j] + bw[2 * H + j] + r * q;
    const float n = General ? lntr_gate(p, d, 1, an) : tanhf(an);
    const float h_prev = p.h[state];
    const float h = (1.0f - z) * n + z * h_prev;
    if (General) {
        float* pre = p.pre + row * gh;
        pre[j] = ar;
        pre[H + j] = az;
        pre[2 * H + j] = an;
    }
    gates[j] = r;
    gates[H + j] = z;
    gates[2 * H + j] = n;
    p.extra[row * H + j] = q;
    p.y[yidx] = h;
    p.h[state] = h;
}

LNTR_STEP_KERNEL(lntr_gru_forward_step, lntr_gru_forward<false>)
LNTR_STEP_KERNEL(lntr_gru_forward_step_general, lntr_gru_forward<true>)

// GRU, linear_before_reset = 0 (ONNX default): n = g(Wn x + Wbn + Rn (r * h) + Rbn). Two phases per step:
//   scratch[d][:, 0:2H] = h R_rz^T (GEMM); phase rz (r, z, extra = r * h_prev);
//   scratch[d][:, 2H:3H] = extra[t] Rn^T (GEMM); phase n (n, h).
template <bool General>
__device__ __forceinline__ void lntr_gru_forward_rz_phase(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const long long gh = 3LL * H;
    const long long row = ((long long)t * p.batch + b) * D + d;
    float* gates = p.gates + row * gh;
    if (t >= lntr_length(p, b)) {
        gates[j] = 0.0f;
        gates[H + j] = 0.0f;
        if (General) {
            p.pre[row * gh + j] = 0.0f;
            p.pre[row * gh + H + j] = 0.0f;
        }
        p.extra[row * H + j] = 0.0f;
        return;
    }
    const long long state = ((long long)d * p.batch + b) * H + j;
    const float* hr = p.scratch + ((long long)d * p.batch + b) * gh;
    const float* bw = p.bw + d * gh;
    const float* br = p.br + d * gh;
    const float ar = gates[j] + bw[j] + br[j] + hr[j];
    const float az = gates[H + j] + bw[H + j] + br[H + j] + hr[H + j];
    float r, z;
    if (General) {
        r = lntr_gate(p, d, 0, ar);
        z = lntr_gate(p, d, 0, az);
        p.pre[row * gh + j] = ar;
        p.pre[row * gh + H + j] = az;
    } else {
        r = lstmnative_sigmoid(ar);
        z = lstmnative_sigmoid(az);
    }
    gates[j] = r;
    gates[H + j] = z;
    p.extra[row * H + j] = r * p.h[state];
}

template <bool General>
__device__ __forceinline__ void lntr_gru_forward_n_phase(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const long long gh = 3LL * H;
    const long long row = ((long long)t * p.batch + b) * D + d;
    float* gates = p.gates + row * gh;
    const long long yidx = ((long long)t * p.batch + b) * ((long long)D * H) + (long long)d * H + j;
    if (t >= lntr_length(p, b)) {
        gates[2 * H + j] = 0.0f;
        if (General) {
            p.pre[row * gh + 2 * H + j] = 0.0f;
        }
        p.y[yidx] = 0.0f;
        return;
    }
    const long long state = ((long long)d * p.batch + b) * H + j;
    const float* hr = p.scratch + ((long long)d * p.batch + b) * gh;
    const float an = gates[2 * H + j] + p.bw[d * gh + 2 * H + j] + p.br[d * gh + 2 * H + j] + hr[2 * H + j];
    float n;
    if (General) {
        n = lntr_gate(p, d, 1, an);
        p.pre[row * gh + 2 * H + j] = an;
    } else {
        n = tanhf(an);
    }
    const float z = gates[H + j];
    const float h = (1.0f - z) * n + z * p.h[state];
    gates[2 * H + j] = n;
    p.y[yidx] = h;
    p.h[state] = h;
}

LNTR_STEP_KERNEL(lntr_gru_forward_rz, lntr_gru_forward_rz_phase<false>)
LNTR_STEP_KERNEL(lntr_gru_forward_rz_general, lntr_gru_forward_rz_phase<true>)
LNTR_STEP_KERNEL(lntr_gru_forward_n, lntr_gru_forward_n_phase<false>)
LNTR_STEP_KERNEL(lntr_gru_forward_n_general, lntr_gru_forward_n_phase<true>)

// Inverted dropout between layers: dst[i] = src[i] * (u(seed, i) < p ? 0 : scale). In place is allowed.
// The same (seed, i) gives the same mask in lntr_dropout_backward. p >= 1 drops everything.
extern "C" __global__ void lntr_dropout_forward(const lntr_dropout p)
{
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += stride) {
        const float keep = p.p >= 1.0f || lntr_uniform(p.seed, i) < p.p ? 0.0f : p.scale;
        p.dst[i] = p.src[i] * keep;
    }
}

// x[r, c] += bias[c] (the dense head's bias).
extern "C" __global__ void lntr_add_bias_rows(const lntr_add_bias p)
{
    const long long total = p.rows * p.cols;
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        p.x[i] += p.bias[i % p.cols];
    }
}
