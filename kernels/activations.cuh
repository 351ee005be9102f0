// The activation table of every kernel in this folder, inference and training alike: one home, one rule.
// Codes are ActivationKind in src/LstmNative.Core/Model/Activation.cs, same order; the formulas and the NaN rule are
// Activation.Apply/Derivative's (float), NaN included: the same comparisons in the same order (never fminf/fmaxf,
// which turn NaN into a bound), so NaN leaves hard_sigmoid as NaN and relu as 0, on the GPU as in the reference.
// Precise expf/tanhf on purpose: the kernels are checked against the scalar CPU reference.
#pragma once

#define LSTMNATIVE_ACT_SIGMOID 0
#define LSTMNATIVE_ACT_TANH 1
#define LSTMNATIVE_ACT_RELU 2
#define LSTMNATIVE_ACT_AFFINE 3
#define LSTMNATIVE_ACT_LEAKY_RELU 4
#define LSTMNATIVE_ACT_THRESHOLDED_RELU 5
#define LSTMNATIVE_ACT_SCALED_TANH 6
#define LSTMNATIVE_ACT_HARD_SIGMOID 7
#define LSTMNATIVE_ACT_ELU 8
#define LSTMNATIVE_ACT_SOFTSIGN 9
#define LSTMNATIVE_ACT_SOFTPLUS 10

__device__ __forceinline__ float lstmnative_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

__device__ __forceinline__ float lstmnative_tanh(float x)
{
    return tanhf(x);
}

// The switch is uniform across a warp (one direction, one gate), so it costs a few instructions, no divergence.
__device__ __forceinline__ float lstmnative_activate(int kind, float alpha, float beta, float x)
{
    switch (kind) {
    case LSTMNATIVE_ACT_SIGMOID: return lstmnative_sigmoid(x);
    case LSTMNATIVE_ACT_TANH: return lstmnative_tanh(x);
    case LSTMNATIVE_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case LSTMNATIVE_ACT_AFFINE: return alpha * x + beta;
    case LSTMNATIVE_ACT_LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
    case LSTMNATIVE_ACT_THRESHOLDED_RELU: return x >= alpha ? x : 0.0f;
    case LSTMNATIVE_ACT_SCALED_TANH: return alpha * tanhf(beta * x);
    case LSTMNATIVE_ACT_HARD_SIGMOID: {
        const float v = alpha * x + beta;
        return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    case LSTMNATIVE_ACT_ELU: return x >= 0.0f ? x : alpha * (expf(x) - 1.0f);
    case LSTMNATIVE_ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
    case LSTMNATIVE_ACT_SOFTPLUS: return x > 30.0f ? x : logf(1.0f + expf(x));
    default: return x;
    }
}

// d activation / d x at the pre-activation x.
__device__ __forceinline__ float lstmnative_activate_grad(int kind, float alpha, float beta, float x)
{
    switch (kind) {
    case LSTMNATIVE_ACT_SIGMOID: { const float s = lstmnative_sigmoid(x); return s * (1.0f - s); }
    case LSTMNATIVE_ACT_TANH: { const float t = tanhf(x); return 1.0f - t * t; }
    case LSTMNATIVE_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case LSTMNATIVE_ACT_AFFINE: return alpha;
    case LSTMNATIVE_ACT_LEAKY_RELU: return x >= 0.0f ? 1.0f : alpha;
    case LSTMNATIVE_ACT_THRESHOLDED_RELU: return x >= alpha ? 1.0f : 0.0f;
    case LSTMNATIVE_ACT_SCALED_TANH: { const float t = tanhf(beta * x); return alpha * beta * (1.0f - t * t); }
    case LSTMNATIVE_ACT_HARD_SIGMOID: { const float v = alpha * x + beta; return v > 0.0f && v < 1.0f ? alpha : 0.0f; }
    case LSTMNATIVE_ACT_ELU: return x >= 0.0f ? 1.0f : alpha * expf(x);
    case LSTMNATIVE_ACT_SOFTSIGN: { const float d = 1.0f + fabsf(x); return 1.0f / (d * d); }
    case LSTMNATIVE_ACT_SOFTPLUS: return lstmnative_sigmoid(x);
    default: return 1.0f;
    }
}
