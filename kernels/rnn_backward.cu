// Back-propagation through time: the fused pointwise backward of one step (both directions per launch) and the
// small reductions that follow the recurrence. The host side is src/LstmNative.Gpu/Training/GpuRnnStack.cs.
//
// Per step (in reverse visiting order) the host queues:
//   lntr_*_backward_step            dh_t = carried dh + dy_t -> da_t (gate pre-activation gradients), dc_{t-1},
//                                   the direct part of dh_{t-1} (GRU: dh * z; LSTM: 0), peephole accumulators
//   dh[d] += da_t[d] R[d]           one cuBLAS GEMM per direction (beta = 1 keeps the direct part)
// and after the recurrence, over all steps at once (cuBLAS): dW += da^T x, dR += da^T h_prev (h_prev = y shifted by
// one step, plus the first step's rows from h0 via lntr_gather_first_step), dx = da W, then the bias and peephole sums.
//
// Rows past their sequence length write da = 0 and leave the carried gradients alone, so the carry holds dL/dY_h
// (dL/dY_c) until the row's last valid step and dL/dh0 (dL/dc0) after its first. The carried buffers are the dh0/dc0
// outputs themselves, initialised with dY_h/dY_c.
//
// h_prev for step t of a row of length len: forward direction y[t-1] (h0 when t == 0); reverse direction y[t+1]
// (h0 when t + 1 == len). The same for c_prev with the cell reserve and c0.

#include "train_common.cuh"

__device__ __forceinline__ float lntr_prev_state(const lntr_rnn_step& p, const float* history, long long history_stride,
                                                 long long history_offset, const float* initial, int d, int b, int j, int t, int len)
{
    const bool rev = lntr_reverse(p, d);
    const bool first = rev ? t + 1 >= len : t == 0;
    if (first) {
        return initial != nullptr ? initial[((long long)d * p.batch + b) * p.hidden + j] : 0.0f;
    }
    const int tp = rev ? t + 1 : t - 1;
    return history[((long long)tp * p.batch + b) * history_stride + history_offset];
}

template <bool General>
__device__ __forceinline__ void lntr_lstm_backward(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const int len = lntr_length(p, b);
    const long long row = ((long long)t * p.batch + b) * D + d;
    float* da = p.da + row * p.da_width;
    if (t >= len) {
#pragma unroll
        for (int k = 0; k < 4; k++) {
            da[k * H + j] = 0.0f;
        }
        return;
    }
    const long long state = ((long long)d * p.batch + b) * H + j;
    const long long yidx = ((long long)t * p.batch + b) * ((long long)D * H) + (long long)d * H + j;
    const float dh = p.dh[state] + (p.dy != nullptr ? p.dy[yidx] : 0.0f);
    const float dc = p.dc[state];
    const float* gates = p.gates + row * 4LL * H;
    const float i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j];
    const float c = p.cells[row * H + j];
    const float c_prev = lntr_prev_state(p, p.cells, (long long)D * H, (long long)d * H + j, p.c0, d, b, j, t, len);
    const float* pre = General ? p.pre + row * 4LL * H : nullptr;

    float dao, dct;
    if (General) {
        const int hk = d * 3 + 2;
        const float hc = lstmnative_activate(p.act_kind[hk], p.act_alpha[hk], p.act_beta[hk], c);
        const float dhc = lstmnative_activate_grad(p.act_kind[hk], p.act_alpha[hk], p.act_beta[hk], c);
        dao = dh * hc * lntr_gate_grad(p, d, 0, pre[3 * H + j]);
        dct = dc + dh * o * dhc;
    } else {
        const float tc = tanhf(c);
        dao = dh * tc * (o * (1.0f - o));
        dct = dc + dh * o * (1.0f - tc * tc);
    }
    const bool peep = (p.flags & LNTR_FLAG_PEEPHOLES) != 0;
    const float* pp = p.peep + (long long)d * 3 * H;
    float* acc = p.peep_acc + ((long long)d * p.batch + b) * 3LL * H;
    if (peep) {
        dct += dao * pp[2 * H + j];
        acc[2 * H + j] += dao * c;
    }
    float di = dct * g;
    const float df = dct * c_prev;
    const float dg = dct * i;
    float dcp = dct * f;
    float daf = 0.0f;
    if ((p.flags & LNTR_FLAG_INPUT_FORGET) != 0) {
        di -= df;
    } else {
        daf = df * (General ? lntr_gate_grad(p, d, 0, pre[H + j]) : f * (1.0f - f));
    }
    const float dai = di * (General ? lntr_gate_grad(p, d, 0, pre[j]) : i * (1.0f - i));
    const float dag = dg * (General ? lntr_gate_grad(p, d, 1, pre[2 * H + j]) : 1.0f - g * g);
    if (peep) {
        dcp += dai * pp[j] + daf * pp[H + j];
        acc[j] += dai * c_prev;
        acc[H + j] += daf * c_prev;
    }
    da[j] = dai;
    da[H + j] = daf;
    da[2 * H + j] = dag;
    da[3 * H + j] = dao;
    p.dc[state] = dcp;
    p.dh[state] = 0.0f;
}

LNTR_STEP_KERNEL(lntr_lstm_backward_step, lntr_lstm_backward<false>)
LNTR_STEP_KERNEL(lntr_lstm_backward_step_general, lntr_lstm_backward<true>)

// GRU, linear_before_reset = 1. da row: (dr, dz, dq, dn) with dq = dn * r the gradient of q = Rn h + Rbn, so that
// da[:, 0:3H] multiplies R (and sums into Rb) and (dr, dz, dn) multiply W (and sum into Wb).
template <bool General>
__device__ __forceinline__ void lntr_gru_backward(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const int len = lntr_length(p, b);
    const long long row = ((long long)t * p.batch + b) * D + d;
    float* da = p.da + row * p.da_width;
    if (t >= len) {
#pragma unroll
        for (int k = 0; k < 4; k++) {
            da[k * H + j] = 0.0f;
        }
        return;
    }
    const long long state = ((long long)d * p.batch + b) * H + j;
    const long long yidx = ((long long)t * p.batch + b) * ((long long)D * H) + (long long)d * H + j;
    const float dh = p.dh[state] + (p.dy != nullptr ? p.dy[yidx] : 0.0f);
    const float* gates = p.gates + row * 3LL * H;
    const float r = gates[j], z = gates[H + j], n = gates[2 * H + j];
    const float q = p.extra[row * H + j];
    const float h_prev = lntr_prev_state(p, p.y, (long long)D * H, (long long)d * H + j, p.h0, d, b, j, t, len);
    const float* pre = General ? p.pre + row * 3LL * H : nullptr;
    const float dz = dh * (h_prev - n);
    const float dn = dh * (1.0f - z);
    const float daz = dz * (General ? lntr_gate_grad(p, d, 0, pre[H + j]) : z * (1.0f - z));
    const float dan = dn * (General ? lntr_gate_grad(p, d, 1, pre[2 * H + j]) : 1.0f - n * n);
    const float dq = dan * r;
    const float dar = dan * q * (General ? lntr_gate_grad(p, d, 0, pre[j]) : r * (1.0f - r));
    da[j] = dar;
    da[H + j] = daz;
    da[2 * H + j] = dq;
    da[3 * H + j] = dan;
    p.dh[state] = dh * z;
}

LNTR_STEP_KERNEL(lntr_gru_backward_step, lntr_gru_backward<false>)
LNTR_STEP_KERNEL(lntr_gru_backward_step_general, lntr_gru_backward<true>)

// GRU, linear_before_reset = 0. da row: (dr, dz, dn). Phase z/n, then scratch[d] = dn Rn (GEMM), then phase r:
// dr = (dn Rn) * h_prev, dh_{t-1} += (dn Rn) * r; then dh[d] += da[:, 0:2H] R_rz (GEMM).
template <bool General>
__device__ __forceinline__ void lntr_gru_backward_zn_phase(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const int len = lntr_length(p, b);
    const long long row = ((long long)t * p.batch + b) * D + d;
    float* da = p.da + row * p.da_width;
    if (t >= len) {
        da[j] = 0.0f;
        da[H + j] = 0.0f;
        da[2 * H + j] = 0.0f;
        return;
    }
    const long long state = ((long long)d * p.batch + b) * H + j;
    const long long yidx = ((long long)t * p.batch + b) * ((long long)D * H) + (long long)d * H + j;
    const float dh = p.dh[state] + (p.dy != nullptr ? p.dy[yidx] : 0.0f);
    const float* gates = p.gates + row * 3LL * H;
    const float z = gates[H + j], n = gates[2 * H + j];
    const float h_prev = lntr_prev_state(p, p.y, (long long)D * H, (long long)d * H + j, p.h0, d, b, j, t, len);
    const float* pre = General ? p.pre + row * 3LL * H : nullptr;
    const float dz = dh * (h_prev - n);
    const float dn = dh * (1.0f - z);
    da[H + j] = dz * (General ? lntr_gate_grad(p, d, 0, pre[H + j]) : z * (1.0f - z));
    da[2 * H + j] = dn * (General ? lntr_gate_grad(p, d, 1, pre[2 * H + j]) : 1.0f - n * n);
    p.dh[state] = dh * z;
}

template <bool General>
__device__ __forceinline__ void lntr_gru_backward_r_phase(const lntr_rnn_step& p, int d, int b, int j)
{
    if (j >= p.hidden) {
        return;
    }
    const int H = p.hidden, D = p.dirs;
    const int t = d == 0 ? p.t0 : p.t1;
    const int len = lntr_length(p, b);
    if (t >= len) {
        return; // da[r] was zeroed by the z/n phase
    }
    const long long row = ((long long)t * p.batch + b) * D + d;
    const long long state = ((long long)d * p.batch + b) * H + j;
    const float drh = p.scratch[state];
    const float r = p.gates[row * 3LL * H + j];
    const float h_prev = lntr_prev_state(p, p.y, (long long)D * H, (long long)d * H + j, p.h0, d, b, j, t, len);
    const float dar = drh * h_prev * (General ? lntr_gate_grad(p, d, 0, p.pre[row * 3LL * H + j]) : r * (1.0f - r));
    p.da[row * p.da_width + j] = dar;
    p.dh[state] += drh * r;
}

LNTR_STEP_KERNEL(lntr_gru_backward_zn, lntr_gru_backward_zn_phase<false>)
LNTR_STEP_KERNEL(lntr_gru_backward_zn_general, lntr_gru_backward_zn_phase<true>)
LNTR_STEP_KERNEL(lntr_gru_backward_r, lntr_gru_backward_r_phase<false>)
LNTR_STEP_KERNEL(lntr_gru_backward_r_general, lntr_gru_backward_r_phase<true>)

// out[b, c] = da[t_first(b), b, d, c] for c < width: the rows whose h_prev is h0 (first visited step of each row:
// t = 0 forward, t = len - 1 reverse); zero for empty rows. One thread per (b, c).
extern "C" __global__ void lntr_gather_first_step(const lntr_gather p)
{
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)p.batch * p.width) {
        return;
    }
    const int b = (int)(idx / p.width);
    const int c = (int)(idx - (long long)b * p.width);
    const int len = p.lengths != nullptr ? p.lengths[b] : p.steps;
    if (len <= 0) {
        p.out[idx] = 0.0f;
        return;
    }
    const int t = p.reverse != 0 ? len - 1 : 0;
    const long long row = ((long long)t * p.batch + b) * p.dirs + p.direction;
    p.out[idx] = p.da[row * p.width + c];
}

// Column sums of src[rows, row_stride] over columns [0, width), added into bias gradients. Block (32, 8): 32 columns,
// 8 row lanes reduced through shared memory; the order of the additions is fixed (deterministic).
//   mode 0: dbw[c] += s, and dbr[c] += s when dbr is not null (LSTM, GRU lbr=0, a dense head)
//   mode 1: GRU lbr=1 row (dr, dz, dq, dn): r, z -> both; q -> dbr[2H..3H); n -> dbw[2H..3H)
extern "C" __global__ void lntr_bias_grad_columns(const lntr_bias_grad p)
{
    __shared__ float partial[8][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (c < p.width) {
        for (long long r = threadIdx.y; r < p.rows; r += 8) {
            s += p.src[r * p.row_stride + c];
        }
    }
    partial[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y != 0 || c >= p.width) {
        return;
    }
    float total = 0.0f;
#pragma unroll
    for (int k = 0; k < 8; k++) {
        total += partial[k][threadIdx.x];
    }
    if (p.mode == 0) {
        p.dbw[c] += total;
        if (p.dbr != nullptr) {
            p.dbr[c] += total;
        }
        return;
    }
    const int H = p.hidden;
    if (c < 2 * H) {
        p.dbw[c] += total;
        p.dbr[c] += total;
    } else if (c < 3 * H) {
        p.dbr[c] += total;
    } else {
        p.dbw[c - H] += total;
    }
}

// dp[d, k] += sum over b of acc[d, b, k] for k < 3H: the peephole gradients from the per-thread accumulators.
extern "C" __global__ void lntr_peephole_grad_reduce(const lntr_peephole_grad p)
{
    const long long width = 3LL * p.hidden;
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= width * p.dirs) {
        return;
    }
    const int d = (int)(idx / width);
    const long long k = idx - d * width;
    float s = 0.0f;
    for (int b = 0; b < p.batch; b++) {
        s += p.acc[((long long)d * p.batch + b) * width + k];
    }
    p.dp[idx] += s;
}

// Backward of lntr_dropout_forward: dst[i] = src[i] * mask(i) with the forward's seed (in place is allowed).
extern "C" __global__ void lntr_dropout_backward(const lntr_dropout p)
{
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += stride) {
        const float keep = p.p >= 1.0f || lntr_uniform(p.seed, i) < p.p ? 0.0f : p.scale;
        p.dst[i] = p.src[i] * keep;
    }
}
