// Fused LSTM pointwise forward for one time step.
//
// The recurrent GEMMs (x_t W^T and h_{t-1} R^T) run in cuBLAS and leave their sum in `preact`.
// This kernel does everything after them in one pass, so each element is read and written once:
//
//   a = preact[b, k*H + j] + bw[k*H + j] + br[k*H + j]     for the gate blocks k = i, f, g, o
//   i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
//   c[b, j] = f * c_prev[b, j] + i * g
//   h[b, j] = o * tanh(c[b, j])
//
// and it stores the activated gates (same [B, 4H] layout, order i, f, g, o) because the backward pass
// needs them. Gate order is the engine's internal one (cuDNN / PyTorch): i, f, g, o.
//
// Layout: preact and gates are [B, 4H] row-major; bw, br are [4H]; c_prev, c, h are [B, H] row-major.
// One thread per (b, j) element, flattened; any 1-D launch that covers B*H threads is valid.
// `c` may alias `c_prev` (each thread reads its c_prev element before writing its c element).

#include "activations.cuh"

extern "C" __global__ void lstm_pointwise_forward(
    const float* __restrict__ preact,
    const float* __restrict__ bw,
    const float* __restrict__ br,
    const float* c_prev,
    float* __restrict__ h,
    float* c,
    float* __restrict__ gates,
    int batch,
    int hidden)
{
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long total = (long long)batch * hidden;
    if (idx >= total) {
        return;
    }
    const long long b = idx / hidden;
    const int j = (int)(idx - b * hidden);
    const long long row = b * 4LL * hidden;

    const float ai = preact[row + j] + bw[j] + br[j];
    const float af = preact[row + hidden + j] + bw[hidden + j] + br[hidden + j];
    const float ag = preact[row + 2 * hidden + j] + bw[2 * hidden + j] + br[2 * hidden + j];
    const float ao = preact[row + 3 * hidden + j] + bw[3 * hidden + j] + br[3 * hidden + j];

    const float i = lstmnative_sigmoid(ai);
    const float f = lstmnative_sigmoid(af);
    const float g = lstmnative_tanh(ag);
    const float o = lstmnative_sigmoid(ao);

    const float c_new = f * c_prev[idx] + i * g;
    c[idx] = c_new;
    h[idx] = o * lstmnative_tanh(c_new);

    gates[row + j] = i;
    gates[row + hidden + j] = f;
    gates[row + 2 * hidden + j] = g;
    gates[row + 3 * hidden + j] = o;
}
