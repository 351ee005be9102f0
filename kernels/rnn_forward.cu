// The standard inference algorithm's per-step kernels (host: src/LstmNative.Gpu/Inference/GpuRnnSession.cs).
//
// Per layer: cuBLAS computes the input projections x W^T of every time step at once; then per walk position k
// cuBLAS computes h_{t-1} R^T into `hr` and ONE of these kernels does everything else for the step: both biases,
// peepholes, clip, activations, the cell update, the new state (in place) and the output row. GRU with
// linear_before_reset = 0 needs r before its candidate product, so it takes two kernels around a second GEMM.
//
// Launch: grid (ceil(H / blockDim.x), B), any block size; one thread per (row b, unit j).
// Rows whose sequence has ended (k >= len_b) are left alone: their state stays, and Y (zeroed by the host when
// some row is short) stays zero. The reverse direction visits t = len_b - 1 - k, so each row starts at its own end.

#include "rnn_common.cuh"

// False when row b is idle at this step; otherwise its time index t.
__device__ __forceinline__ bool rnn_step_time(const RnnStepArgs& a, int b, int& t)
{
    const int len = a.lengths != nullptr ? a.lengths[b] : a.steps;
    if (a.k >= len) {
        return false;
    }
    t = a.reverse ? len - 1 - a.k : a.k;
    return true;
}

extern "C" __global__ void __launch_bounds__(256) rnn_lstm_step(const RnnStepArgs a)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    const int b = blockIdx.y;
    int t;
    if (j >= a.hidden || !rnn_step_time(a, b, t)) {
        return;
    }
    const int H = a.hidden;
    const float* xw = a.xw + t * a.xw_st + b * a.xw_sb;
    const float* hr = a.hr + (long long)b * a.hr_ld;
    const float ai = xw[j] + hr[j] + a.bw[j] + a.br[j];
    const float af = xw[H + j] + hr[H + j] + a.bw[H + j] + a.br[H + j];
    const float ag = xw[2 * H + j] + hr[2 * H + j] + a.bw[2 * H + j] + a.br[2 * H + j];
    const float ao = xw[3 * H + j] + hr[3 * H + j] + a.bw[3 * H + j] + a.br[3 * H + j];
    float pi = 0.0f, pf = 0.0f, po = 0.0f;
    if (a.peep != nullptr) {
        pi = a.peep[j];
        pf = a.peep[H + j];
        po = a.peep[2 * H + j];
    }
    float* cp = a.c + (long long)b * a.ld_c + j;
    float c = *cp;
    const float h = rnn_lstm_unit(ai, af, ag, ao, pi, pf, po, c, a.clip, a.input_forget, a.act);
    *cp = c;
    a.h[(long long)b * a.ld_h + j] = h;
    if (a.y != nullptr) {
        a.y[t * a.y_st + b * a.y_sb + j] = h;
    }
}

// GRU, linear_before_reset = 1 (PyTorch, cuDNN): n = g(Wn x + Wbn + r * (Rn h + Rbn)); hr holds all three gates.
extern "C" __global__ void __launch_bounds__(256) rnn_gru_step(const RnnStepArgs a)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    const int b = blockIdx.y;
    int t;
    if (j >= a.hidden || !rnn_step_time(a, b, t)) {
        return;
    }
    const int H = a.hidden;
    const float* xw = a.xw + t * a.xw_st + b * a.xw_sb;
    const float* hr = a.hr + (long long)b * a.hr_ld;
    const float r = rnn_activate(a.act.f, rnn_clip(xw[j] + hr[j] + a.bw[j] + a.br[j], a.clip));
    const float z = rnn_activate(a.act.f, rnn_clip(xw[H + j] + hr[H + j] + a.bw[H + j] + a.br[H + j], a.clip));
    const float n = rnn_activate(a.act.g, rnn_clip(xw[2 * H + j] + a.bw[2 * H + j] + r * (hr[2 * H + j] + a.br[2 * H + j]), a.clip));
    float* hp = a.h + (long long)b * a.ld_h + j;
    const float h = (1.0f - z) * n + z * *hp;
    *hp = h;
    if (a.y != nullptr) {
        a.y[t * a.y_st + b * a.y_sb + j] = h;
    }
}

// GRU, linear_before_reset = 0 (ONNX default), first half: hr holds h R_rz^T ([B, 2H] of a 3H-wide row).
// Computes r and z, parks z in hr's z block and r * h_{t-1} in rh for the candidate GEMM.
extern "C" __global__ void __launch_bounds__(256) rnn_gru_step_reset(const RnnStepArgs a)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    const int b = blockIdx.y;
    int t;
    if (j >= a.hidden || !rnn_step_time(a, b, t)) {
        return;
    }
    const int H = a.hidden;
    const float* xw = a.xw + t * a.xw_st + b * a.xw_sb;
    float* hr = a.hr + (long long)b * a.hr_ld;
    const float r = rnn_activate(a.act.f, rnn_clip(xw[j] + hr[j] + a.bw[j] + a.br[j], a.clip));
    const float z = rnn_activate(a.act.f, rnn_clip(xw[H + j] + hr[H + j] + a.bw[H + j] + a.br[H + j], a.clip));
    hr[H + j] = z;
    a.rh[(long long)b * H + j] = r * a.h[(long long)b * a.ld_h + j];
}

// Second half: hr's n block holds (r * h_{t-1}) Rn^T. n = g(Wn x + Wbn + Rn (r * h) + Rbn); h = (1 - z) n + z h.
extern "C" __global__ void __launch_bounds__(256) rnn_gru_step_update(const RnnStepArgs a)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    const int b = blockIdx.y;
    int t;
    if (j >= a.hidden || !rnn_step_time(a, b, t)) {
        return;
    }
    const int H = a.hidden;
    const float* xw = a.xw + t * a.xw_st + b * a.xw_sb;
    const float* hr = a.hr + (long long)b * a.hr_ld;
    const float z = hr[H + j];
    const float n = rnn_activate(a.act.g, rnn_clip(xw[2 * H + j] + a.bw[2 * H + j] + hr[2 * H + j] + a.br[2 * H + j], a.clip));
    float* hp = a.h + (long long)b * a.ld_h + j;
    const float h = (1.0f - z) * n + z * *hp;
    *hp = h;
    if (a.y != nullptr) {
        a.y[t * a.y_st + b * a.y_sb + j] = h;
    }
}
