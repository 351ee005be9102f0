// Device helpers shared by the inference kernels (rnn_forward.cu, rnn_persistent.cu): ONNX activations, clip,
// the LSTM and GRU cell equations, and the argument blocks the host fills (src/LstmNative.Gpu/Inference/KernelArgs.cs
// mirrors them field for field; the static_asserts below and a host test pin their sizes).
//
// Semantics are the reference engine's (src/LstmNative.Core/Reference): gate order LSTM i, f, g, o and GRU r, z, n;
// clip limits each gate's pre-activation (peephole terms included) and lets NaN through; input_forget is f = 1 - i.
#pragma once

#include "activations.cuh"

// One activation function with its ONNX parameters (12 bytes).
struct RnnActivation
{
    int kind;
    float alpha;
    float beta;
};

// The three activations of one direction: LSTM f, g, h; GRU f, g (third unused).
struct RnnActivations
{
    RnnActivation f;
    RnnActivation g;
    RnnActivation h;
};

// The table in activations.cuh, with the parameters of one gate's activation.
__device__ __forceinline__ float rnn_activate(const RnnActivation& a, float x)
{
    return lstmnative_activate(a.kind, a.alpha, a.beta, x);
}

// ONNX clip on a pre-activation; clip <= 0 means none. Comparisons (not fminf/fmaxf) so NaN passes through.
__device__ __forceinline__ float rnn_clip(float v, float clip)
{
    if (clip <= 0.0f) {
        return v;
    }
    return v > clip ? clip : (v < -clip ? -clip : v);
}

// One LSTM unit. a_* are the pre-activations without peepholes (x and h products plus both biases);
// p_* the peepholes (0 when absent). Updates c in place and returns h.
__device__ __forceinline__ float rnn_lstm_unit(
    float a_i, float a_f, float a_g, float a_o, float p_i, float p_f, float p_o,
    float& c, float clip, int input_forget, const RnnActivations& act)
{
    const float c_prev = c;
    const float i = rnn_activate(act.f, rnn_clip(a_i + p_i * c_prev, clip));
    const float f = input_forget ? 1.0f - i : rnn_activate(act.f, rnn_clip(a_f + p_f * c_prev, clip));
    const float g = rnn_activate(act.g, rnn_clip(a_g, clip));
    const float c_new = f * c_prev + i * g;
    const float o = rnn_activate(act.f, rnn_clip(a_o + p_o * c_new, clip));
    c = c_new;
    return o * rnn_activate(act.h, c_new);
}

// ---------------------------------------------------------------------------------------------------------------
// Argument block of the per-step kernels of the standard algorithm (rnn_forward.cu). One launch = one direction,
// one walk position k. Row b of the batch is at time t = k (forward) or len_b - 1 - k (reverse) and is idle once
// k >= len_b (its state then stays as it was, and Y stays zero there).
// ---------------------------------------------------------------------------------------------------------------
struct RnnStepArgs
{
    const float* xw;    // input projections x W^T, offset to this direction's gate block; row (t, b) at t*xw_st + b*xw_sb
    float* hr;          // recurrent products h R^T of this step: [B, hr_ld] (GRU lbr=0: the kernels also park z here)
    const float* bw;    // [G*H] input-side bias
    const float* br;    // [G*H] recurrent-side bias
    const float* peep;  // [3H] peepholes i, f, o, or null
    const int* lengths; // [B] valid steps per row, or null (all `steps`)
    float* h;           // hidden state, row b at h + b*ld_h; read (h_{t-1}) and overwritten (h_t)
    float* c;           // cell state (LSTM), row b at c + b*ld_c
    float* y;           // output, offset to this direction; (t, b) at t*y_st + b*y_sb; null: not written
    float* rh;          // GRU lbr=0 scratch: r * h_{t-1}, [B, H]
    long long xw_st;
    long long xw_sb;
    long long y_st;
    long long y_sb;
    int hr_ld;
    int ld_h;
    int ld_c;
    int batch;
    int hidden;
    int steps;
    int k;
    int reverse;
    float clip;
    int input_forget;
    RnnActivations act;
};
static_assert(sizeof(RnnStepArgs) == 192, "RnnStepArgs must match KernelArgs.cs (192 bytes)");

// ---------------------------------------------------------------------------------------------------------------
// Argument block of the persistent kernel (rnn_persistent.cu): one launch runs every step of one layer, both
// directions (blocks [0, nb) forward / first direction, [nb, 2nb) reverse). Per-direction pointers in [2] arrays.
// ---------------------------------------------------------------------------------------------------------------
struct RnnPersistentDirection
{
    const float* xw;        // as RnnStepArgs.xw
    const float* r;         // [G*H, H] recurrent weights
    const float* bw;        // [G*H]
    const float* br;        // [G*H]
    const float* peep;      // [3H] or null
    float* h;               // state: initial on entry, final on exit; row b at h + b*ld_state
    float* c;               // cell state (LSTM) likewise
    float* y;               // output offset to this direction, or null
    float* exchange;        // [2, B, H] ping-pong buffer through which blocks share h_t (and GRU lbr=0 r*h)
    unsigned int* barrier;  // the direction's arrival counter (zeroed before the launch in flag mode)
    RnnActivations act;     // 36 bytes
    int reverse;            // 4 bytes: 40 in all, keeps the struct a multiple of 8
};
static_assert(sizeof(RnnPersistentDirection) == 120, "RnnPersistentDirection must match KernelArgs.cs (120 bytes)");

struct RnnPersistentArgs
{
    RnnPersistentDirection dir[2];
    const int* lengths;     // [B] or null
    long long xw_st;
    long long xw_sb;
    long long y_st;
    long long y_sb;
    int ld_state;
    int batch;
    int hidden;
    int steps;
    int cell;               // 0 LSTM, 1 GRU
    int linear_before_reset;
    int input_forget;
    float clip;
    int units_per_block;    // J: hidden units a block owns (all gates of them)
    int blocks_per_direction;
    int padded_hidden;      // H rounded up to 4 (row pitch of the weights and h in shared memory)
    int barrier_mode;       // 0 flag barrier per direction, 1 cooperative grid sync, 2 none (timing only), 3 tagged exchange
};
static_assert(sizeof(RnnPersistentArgs) == 328, "RnnPersistentArgs must match KernelArgs.cs (328 bytes)");
