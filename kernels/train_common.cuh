// Shared by the training kernels (rnn_train_forward.cu, rnn_backward.cu, optimizer.cu, loss.cu, clip.cu).
// Every name here starts with lntr_ ("LstmNative training"): all kernels/*.cu are one translation unit.
//
// Each training kernel takes ONE argument, a parameter struct passed by value (the driver copies it into the
// kernel's constant parameter bank). The host mirrors of these structs are in
// src/LstmNative.Gpu/Training/KernelParams.cs; their sizes and field offsets are pinned by the static_asserts
// below and by the host test KernelParamsLayoutTests, so a field added on one side only fails both builds.
//
// Layouts (time-major, one layer, D directions, gate blocks in the engine's order LSTM i,f,g,o / GRU r,z,n):
//   gates  [T, B, D, G*H]   input GEMM x W^T on entry to the forward step, activated gates after it (reserve)
//   pre    [T, B, D, G*H]   unclipped pre-activations (reserve, "general" kernels only: other activations, clip)
//   cells  [T, B, D, H]     LSTM cell state after each step (reserve)
//   extra  [T, B, D, H]     GRU: q = Rn h + Rbn (linear_before_reset = 1) or r * h_prev (= 0) (reserve)
//   y      [T, B, D*H]      the layer's output (the next layer's input); zero past a row's length
//   h, c   [D, B, H]        carried states (forward: h_prev/c_prev, final states on exit)
//   da     [T, B, D, W]     gate pre-activation gradients (backward workspace), W = da_width:
//                           LSTM (di, df, dg, do) 4H; GRU lbr=1 (dr, dz, dq, dn) 4H; GRU lbr=0 (dr, dz, dn) 3H
//   dh, dc [D, B, H]        carried gradients (backward): dL/dh_t, dL/dc_t on entry, dL/dh_{t-1}... on exit
#pragma once

#include "activations.cuh"

#define LNTR_FLAG_PEEPHOLES 1
#define LNTR_FLAG_INPUT_FORGET 2
#define LNTR_FLAG_CLIP 4
#define LNTR_FLAG_REVERSE 8   // direction 0 walks backwards (ONNX direction = reverse)

// One recurrent step of one layer, both directions at once (thread = (d, b, j)).
struct lntr_rnn_step {
    float* gates;
    float* pre;
    float* cells;
    float* extra;
    float* y;
    float* h;
    float* c;
    const float* h0;
    const float* c0;
    float* scratch;      // forward: [D, B, G*H] = h_prev R^T; backward GRU lbr=0: [D, B, H] = dn R_n
    const float* bw;     // [D, G*H]
    const float* br;     // [D, G*H]
    const float* peep;   // [D, 3H] (i, f, o) or null
    const int* lengths;  // [B] or null (every row has T steps)
    float* da;
    const float* dy;     // [T, B, D*H] or null
    float* dh;
    float* dc;
    float* peep_acc;     // [D, B, 3H] or null
    int batch;
    int hidden;
    int dirs;
    int steps;
    int t0;              // time index direction 0 works on in this launch
    int t1;              // time index direction 1 works on
    int da_width;
    int flags;
    float clip;
    int act_kind[6];     // per direction: f, g, h (LSTM) or f, g (GRU)
    float act_alpha[6];
    float act_beta[6];
    int reserved;
};
static_assert(sizeof(lntr_rnn_step) == 264, "lntr_rnn_step: keep in sync with RnnStepParams (KernelParams.cs)");
static_assert(__builtin_offsetof(lntr_rnn_step, batch) == 152, "lntr_rnn_step.batch");
static_assert(__builtin_offsetof(lntr_rnn_step, act_kind) == 188, "lntr_rnn_step.act_kind");

// dR correction rows: out[b, :] = da[t_first(b), b, d, :] (zero when the row is empty).
struct lntr_gather {
    const float* da;
    float* out;
    const int* lengths;
    int batch;
    int dirs;
    int direction;
    int steps;
    int width;
    int reverse;
};
static_assert(sizeof(lntr_gather) == 48, "lntr_gather: keep in sync with GatherParams");

// Column sums of a row-major matrix scattered into bias gradients (mode below).
struct lntr_bias_grad {
    const float* src;    // rows x row_stride; columns [0, width) are summed
    float* dbw;
    float* dbr;          // may be null
    long long rows;
    int row_stride;
    int width;
    int mode;            // 0: dbw += s (and dbr += s when not null); 1: GRU lbr=1 (r, z, q, n) layout
    int hidden;
};
static_assert(sizeof(lntr_bias_grad) == 48, "lntr_bias_grad: keep in sync with BiasGradParams");

// Peephole gradients: dp[d, k] += sum_b acc[d, b, k], k < 3H.
struct lntr_peephole_grad {
    const float* acc;
    float* dp;
    int batch;
    int dirs;
    int hidden;
    int reserved;
};
static_assert(sizeof(lntr_peephole_grad) == 32, "lntr_peephole_grad: keep in sync with PeepholeGradParams");

// Inverted dropout between layers with a counter-based mask (same mask in forward and backward).
struct lntr_dropout {
    const float* src;
    float* dst;
    long long count;
    unsigned long long seed;
    float p;
    float scale;
};
static_assert(sizeof(lntr_dropout) == 40, "lntr_dropout: keep in sync with DropoutParams");

// Adds a bias row to every row: x[r, c] += bias[c].
struct lntr_add_bias {
    float* x;
    const float* bias;
    long long rows;
    int cols;
    int reserved;
};
static_assert(sizeof(lntr_add_bias) == 32, "lntr_add_bias: keep in sync with AddBiasParams");

// Device-resident optimizer and loss scalars (one per trainer): the host reads them only when asked.
struct lntr_scalars {
    double grad_sq;       // sum of squared gradients (global norm clipping)
    double grad_norm;     // sqrt(grad_sq) of the last step
    double loss;          // loss of the last step
    double loss_sum;      // sum of step losses since the host last reset it
    double lr;            // learning rate of the next step (written by the host)
    float step_size;      // Adam: lr / (1 - beta1^t)
    float sqrt_bc2;       // Adam: sqrt(1 - beta2^t)
    float shrink;         // AdamW: 1 - lr * wd
    float clip_factor;    // global-norm clipping factor for this step (1 when not clipping)
    int step;             // optimizer steps taken
    int loss_count;       // steps summed into loss_sum
    int apply_clip;       // whether clip_factor applies this step
    int reserved;
};
static_assert(sizeof(lntr_scalars) == 72, "lntr_scalars: keep in sync with DeviceScalars");

struct lntr_optimizer {
    float* param;
    const float* grad;
    float* m;             // Adam first moment / SGD momentum buffer (may be null for plain SGD)
    float* v;             // Adam second moment
    lntr_scalars* s;
    long long count;
    double beta1d;
    double beta2d;
    double weight_decay_d;
    double max_norm;
    int kind;             // 0 SGD, 1 Adam, 2 AdamW
    int clip_mode;        // 0 none, 1 by value, 2 by global norm
    float clip_value;
    float beta1;
    float beta2;
    float eps;
    float weight_decay;
    float momentum;
    float dampening;
    int nesterov;
};
static_assert(sizeof(lntr_optimizer) == 120, "lntr_optimizer: keep in sync with OptimizerParams");

// Per-block partial sums of squares (pass 1) and their ordered total (pass 2): deterministic.
struct lntr_sq_norm {
    const float* x;
    double* partials;
    lntr_scalars* s;
    long long count;
    int blocks;
    int reserved;
};
static_assert(sizeof(lntr_sq_norm) == 40, "lntr_sq_norm: keep in sync with SquaredNormParams");

struct lntr_loss {
    const float* pred;
    const float* target;
    float* grad;
    double* partials;
    lntr_scalars* s;
    long long count;
    int kind;             // 0 MSE, 1 L1, 2 Huber
    int mean;             // 1: mean reduction, 0: sum
    float delta;          // Huber threshold
    float grad_scale;     // 1/count (mean) or 1 (sum), as the CPU loss computes it in float
    int blocks;
    int accumulate;       // 1: also add the loss to scalars.loss_sum / loss_count (training steps)
};
static_assert(sizeof(lntr_loss) == 72, "lntr_loss: keep in sync with LossParams");

#define LNTR_REDUCE_THREADS 256

// ---------------------------------------------------------------------------------------------------------------
// Activations: the one table in activations.cuh (lstmnative_activate / lstmnative_activate_grad).

// ONNX clip on a pre-activation, and its derivative (1 inside, 0 where clipped).
__device__ __forceinline__ float lntr_clip(float x, float limit, bool on)
{
    return on ? (x > limit ? limit : (x < -limit ? -limit : x)) : x;
}

__device__ __forceinline__ float lntr_clip_grad(float x, float limit, bool on)
{
    return on && fabsf(x) > limit ? 0.0f : 1.0f;
}

// General path: activation number k (0 f, 1 g, 2 h) of direction d applied to a clipped pre-activation.
__device__ __forceinline__ float lntr_gate(const lntr_rnn_step& p, int d, int k, float a)
{
    const int i = d * 3 + k;
    return lstmnative_activate(p.act_kind[i], p.act_alpha[i], p.act_beta[i], lntr_clip(a, p.clip, (p.flags & LNTR_FLAG_CLIP) != 0));
}

// General path: d(gate)/d(pre-activation), clip included.
__device__ __forceinline__ float lntr_gate_grad(const lntr_rnn_step& p, int d, int k, float a)
{
    const int i = d * 3 + k;
    const bool on = (p.flags & LNTR_FLAG_CLIP) != 0;
    return lstmnative_activate_grad(p.act_kind[i], p.act_alpha[i], p.act_beta[i], lntr_clip(a, p.clip, on)) * lntr_clip_grad(a, p.clip, on);
}

// Step kernels run on a grid (ceil(H / blockDim.x), B, D): thread (d, b, j) = (blockIdx.z, blockIdx.y, x index).
// The extern "C" wrapper reads the indices and passes them to the templated body: ptxas 11.8 crashes with
// -lineinfo when a called device function reads threadIdx/blockIdx itself.
#define LNTR_STEP_KERNEL(name, body) \
    extern "C" __global__ void name(const lntr_rnn_step p) { body(p, (int)blockIdx.z, (int)blockIdx.y, (int)(blockIdx.x * blockDim.x + threadIdx.x)); }

__device__ __forceinline__ int lntr_length(const lntr_rnn_step& p, int b)
{
    return p.lengths != nullptr ? p.lengths[b] : p.steps;
}

// Whether direction d walks the sequence backwards (ONNX reverse, or the second direction of a bidirectional layer).
__device__ __forceinline__ bool lntr_reverse(const lntr_rnn_step& p, int d)
{
    return d == 1 || (p.flags & LNTR_FLAG_REVERSE) != 0;
}

// SplitMix64: the dropout mask's random stream (mirrored by DropoutMask.Keep on the host).
__device__ __forceinline__ unsigned long long lntr_splitmix64(unsigned long long x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// Uniform in [0, 1) from the top 24 bits: exact in float.
__device__ __forceinline__ float lntr_uniform(unsigned long long seed, long long i)
{
    return (float)(lntr_splitmix64(seed ^ lntr_splitmix64((unsigned long long)i)) >> 40) * (1.0f / 16777216.0f);
}

// Block-wide sum of one double per thread (blockDim.x == LNTR_REDUCE_THREADS); the result is valid in thread 0.
__device__ __forceinline__ double lntr_block_sum(double v)
{
    __shared__ double warp_sums[LNTR_REDUCE_THREADS / 32];
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) {
        warp_sums[warp] = v;
    }
    __syncthreads();
    v = 0.0;
    if (warp == 0) {
        v = lane < LNTR_REDUCE_THREADS / 32 ? warp_sums[lane] : 0.0;
        for (int offset = 16; offset > 0; offset >>= 1) {
            v += __shfl_down_sync(0xffffffffu, v, offset);
        }
    }
    return v;
}
