// The persistent inference algorithm (host: src/LstmNative.Gpu/Inference/GpuRnnSession.cs, and
// PersistentPlan.cs, which computes the launch this kernel expects).
//
// One launch runs every step of one layer, both directions at once (blocks [0, nb) run direction 0, [nb, 2nb)
// direction 1). Block `blk` of a direction owns J = units_per_block hidden units j0 .. j0+J-1 and ALL gates of them,
// so the cell update needs nothing from other blocks. Its slice of the recurrent weights (G*J rows of R, G = 4 LSTM /
// 3 GRU) is loaded into shared memory once and stays there for the whole sequence. The input projections x W^T of
// every step were computed beforehand by one cuBLAS GEMM. Per step:
//
//   1. read h_{t-1} of every unit (B x H floats, L2) into shared memory;
//   2. G*J*B dot products of length H from shared memory (warp per pair of rows, lanes over k, shuffle reduction);
//   3. one thread per (unit, row): biases, peepholes, clip, activations, cell update (c stays in a register);
//      h_t goes to the direction's ping-pong exchange buffer and to Y;
//   4. one barrier across the direction's blocks (flag barrier: an arrival counter per direction; or a
//      cooperative-groups grid sync), so every block sees all of h_t before step t+1.
//
// GRU with linear_before_reset = 0 needs r of every unit before its candidate product: it exchanges r * h_{t-1}
// through a third buffer slot and takes a second barrier per step.
//
// The whole grid must be resident at once (the host checks occupancy; cooperative launches guarantee it).
// Templated on the batch bucket BB (1, 2, 4, 8): accumulators are fixed-size register arrays, rows b >= batch are
// zero padding.

#include <cooperative_groups.h>
#include "rnn_common.cuh"

// The direction's field: selected, not indexed, so the parameter block is never copied to local memory.
#define RNN_DIR(field) (d != 0 ? a.dir[1].field : a.dir[0].field)

__device__ __forceinline__ unsigned int rnn_load_volatile(const unsigned int* p)
{
    return *reinterpret_cast<const volatile unsigned int*>(p);
}

// A flag barrier that never completes (a block that is not resident, a fault in another block, a bug) must become a
// launch error the host reports, not a hang that holds the GPU: after this many SM cycles of waiting (about 2 s at
// 2 GHz, longer at lower clocks) the waiting block traps; the host sees the launch fail at its next synchronisation
// (CUDA_ERROR_LAUNCH_FAILED or CUDA_ERROR_ILLEGAL_INSTRUCTION) and the context is lost, which is why the bundle runs
// each test fixture in a process of its own.
#define RNN_BARRIER_TIMEOUT_CYCLES 4000000000LL
// Polls before the wait starts sleeping between polls: a healthy barrier completes within them, so its latency is
// unchanged; a long wait stops hammering the counter's L2 line.
#define RNN_BARRIER_SPIN_POLLS 4096

// Arrival with release semantics at GPU scope: the block's writes (ordered before by __syncthreads) are visible to
// whoever acquires the counter. Lighter than __threadfence() + atomicAdd, whose fence is sequentially consistent.
__device__ __forceinline__ void rnn_arrive_release(unsigned int* counter)
{
#if defined(__CUDA_ARCH__)
    asm volatile("red.release.gpu.global.add.u32 [%0], %1;" : : "l"(counter), "r"(1u) : "memory");
#else
    __threadfence();
    atomicAdd(counter, 1u);
#endif
}

__device__ __forceinline__ unsigned int rnn_load_acquire(const unsigned int* counter)
{
#if defined(__CUDA_ARCH__)
    unsigned int v;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(counter) : "memory");
    return v;
#else
    const unsigned int v = rnn_load_volatile(counter);
    __threadfence();
    return v;
#endif
}

// The tagged exchange (mode 3; opt-in until it has run on a GPU): each h value travels with the number of the step
// that wrote it, in one 64-bit word (the tag in the high half, the float's bits in the low half) stored and loaded as
// one single-copy-atomic access. A reader polls exactly the words it needs until they carry the tag it expects: the
// poll is the load, so a step needs no arrival counter, no fences and two block syncs fewer. The host zeroes the
// words before each launch (tag 0 is never expected), and the ping-pong of two slots is safe for the same reason as
// with a barrier: nobody can write step s + 2 before every block has read step s.
__device__ __forceinline__ void rnn_store_tagged(unsigned long long* p, unsigned int tag, float v)
{
    const unsigned long long w = ((unsigned long long)tag << 32) | (unsigned long long)__float_as_uint(v);
#if defined(__CUDA_ARCH__)
    asm volatile("st.relaxed.gpu.global.u64 [%0], %1;" : : "l"(p), "l"(w) : "memory");
#else
    __atomic_store_n(p, w, __ATOMIC_RELAXED);
#endif
}

__device__ __forceinline__ unsigned long long rnn_load_tagged_word(const unsigned long long* p)
{
#if defined(__CUDA_ARCH__)
    unsigned long long w;
    asm volatile("ld.relaxed.gpu.global.u64 %0, [%1];" : "=l"(w) : "l"(p) : "memory");
    return w;
#else
    return __atomic_load_n(p, __ATOMIC_RELAXED);
#endif
}

// hs[b][k] = the value of src[b * hidden + k] tagged `tag`, waiting for it (bounded like the barrier); zero padding.
template <int BB>
__device__ __forceinline__ void rnn_load_tagged(
    float* __restrict__ hs, const unsigned long long* src, int batch, int hidden, int hp, unsigned int tag)
{
    for (int idx = threadIdx.x; idx < BB * hp; idx += blockDim.x) {
        const int b = idx / hp;
        const int k = idx - b * hp;
        float v = 0.0f;
        if (b < batch && k < hidden) {
            const unsigned long long* p = src + (long long)b * hidden + k;
            unsigned long long w = rnn_load_tagged_word(p);
            if ((unsigned int)(w >> 32) != tag) {
                const long long start = clock64();
                int polls = 0;
                do {
                    if (++polls >= RNN_BARRIER_SPIN_POLLS) {
                        __nanosleep(100);
                        if (clock64() - start > RNN_BARRIER_TIMEOUT_CYCLES) {
                            __trap();
                        }
                    }
                    w = rnn_load_tagged_word(p);
                } while ((unsigned int)(w >> 32) != tag);
            }
            v = __uint_as_float((unsigned int)w);
        }
        hs[idx] = v;
    }
}

// Waits until every block of the direction has arrived. `arrivals` counts this block's calls (same in all blocks).
// mode 0: flag barrier (release arrival, acquire polls: measured 0.2 µs per step faster on an H200 than
// __threadfence + atomicAdd + volatile polls); 1: cooperative grid sync; 2: none (timing experiments only: the results
// are wrong, it measures what the barrier costs). Mode 3 (tagged exchange) calls it only for a one-step launch.
__device__ __forceinline__ void rnn_direction_barrier(
    int mode, unsigned int* counter, unsigned int& arrivals, int blocks)
{
    if (mode == 1) {
        cooperative_groups::this_grid().sync();
        return;
    }
    __syncthreads();
    arrivals += 1;
    if (mode == 0 && blocks > 1 && threadIdx.x == 0) {
        const unsigned int target = arrivals * (unsigned int)blocks;
        rnn_arrive_release(counter);
        const long long start = clock64();
        int polls = 0;
        while (rnn_load_acquire(counter) < target) {
            if (++polls < RNN_BARRIER_SPIN_POLLS)
                continue;
            __nanosleep(200);
            if (clock64() - start > RNN_BARRIER_TIMEOUT_CYCLES) {
                __trap(); // no printf here: its call frame made the kernel spill (64-byte stack, measured with ptxas)
            }
        }
    }
    __syncthreads();
}

// gs[row][b] = sum_k Rs[row][k] * hs[b][k] for rows [row_begin, row_end). Warp per pair of rows, lanes over k.
template <int BB>
__device__ __forceinline__ void rnn_block_matvec(
    const float4* __restrict__ rs4, const float4* __restrict__ hs4, float* __restrict__ gs,
    int row_begin, int row_end, int hp4)
{
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    for (int row = row_begin + 2 * warp; row < row_end; row += 2 * warps) {
        const bool second = row + 1 < row_end;
        const float4* r0p = rs4 + (long long)row * hp4;
        const float4* r1p = second ? r0p + hp4 : r0p;
        float acc0[BB];
        float acc1[BB];
#pragma unroll
        for (int b = 0; b < BB; ++b) {
            acc0[b] = 0.0f;
            acc1[b] = 0.0f;
        }
        for (int kk = lane; kk < hp4; kk += 32) {
            const float4 r0 = r0p[kk];
            const float4 r1 = r1p[kk];
#pragma unroll
            for (int b = 0; b < BB; ++b) {
                const float4 h = hs4[b * hp4 + kk];
                acc0[b] = fmaf(r0.x, h.x, fmaf(r0.y, h.y, fmaf(r0.z, h.z, fmaf(r0.w, h.w, acc0[b]))));
                acc1[b] = fmaf(r1.x, h.x, fmaf(r1.y, h.y, fmaf(r1.z, h.z, fmaf(r1.w, h.w, acc1[b]))));
            }
        }
#pragma unroll
        for (int b = 0; b < BB; ++b) {
#pragma unroll
            for (int offset = 16; offset > 0; offset >>= 1) {
                acc0[b] += __shfl_xor_sync(0xffffffffu, acc0[b], offset);
                acc1[b] += __shfl_xor_sync(0xffffffffu, acc1[b], offset);
            }
        }
        if (lane == 0) {
#pragma unroll
            for (int b = 0; b < BB; ++b) {
                gs[row * BB + b] = acc0[b];
                if (second) {
                    gs[(row + 1) * BB + b] = acc1[b];
                }
            }
        }
    }
}

// hs[b][k] = src[b * ld + k] for b < batch, k < H; zero elsewhere (padding). Bypasses L1: other blocks wrote src.
template <int BB>
__device__ __forceinline__ void rnn_load_state(
    float* __restrict__ hs, const float* src, long long ld, int batch, int hidden, int hp)
{
    for (int idx = threadIdx.x; idx < BB * hp; idx += blockDim.x) {
        const int b = idx / hp;
        const int k = idx - b * hp;
        hs[idx] = (b < batch && k < hidden) ? __ldcg(src + b * ld + k) : 0.0f;
    }
}

template <int BB>
__device__ __forceinline__ void rnn_persistent_body(const RnnPersistentArgs& a)
{
    extern __shared__ float4 rnn_smem4[];
    const int nb = a.blocks_per_direction;
    const int d = blockIdx.x >= (unsigned int)nb ? 1 : 0;
    const int blk = blockIdx.x - d * nb;
    const int H = a.hidden;
    const int hp = a.padded_hidden;
    const int hp4 = hp >> 2;
    const int J = a.units_per_block;
    const int G = a.cell == 0 ? 4 : 3;
    const int rows = G * J;
    const int j0 = blk * J;
    const int batch = a.batch;
    const bool gru_two_phase = a.cell == 1 && !a.linear_before_reset;

    const float* xw = RNN_DIR(xw);
    const float* R = RNN_DIR(r);
    const float* bw = RNN_DIR(bw);
    const float* br = RNN_DIR(br);
    const float* peep = RNN_DIR(peep);
    float* state_h = RNN_DIR(h);
    float* state_c = RNN_DIR(c);
    float* y = RNN_DIR(y);
    float* exchange = RNN_DIR(exchange);
    unsigned int* counter = RNN_DIR(barrier);
    const RnnActivations act = RNN_DIR(act);
    const int reverse = RNN_DIR(reverse);

    float* rs = reinterpret_cast<float*>(rnn_smem4);   // [rows][hp] recurrent weights of the block's units
    float* hs = rs + (long long)rows * hp;             // [BB][hp] h_{t-1} (or r * h_{t-1})
    float* gs = hs + BB * hp;                          // [rows][BB] the block's gate products

    // The weights, once. Row (g, jj) of the slice is row g*H + j0 + jj of R; missing units and k >= H are zero.
    for (long long idx = threadIdx.x; idx < (long long)rows * hp; idx += blockDim.x) {
        const int row = (int)(idx / hp);
        const int k = (int)(idx - (long long)row * hp);
        const int g = row / J;
        const int jj = row - g * J;
        const int j = j0 + jj;
        rs[idx] = (j < H && k < H) ? R[((long long)g * H + j) * H + k] : 0.0f;
    }

    // One thread per (unit, row) does the pointwise work and keeps that unit's state in registers.
    const int jj = threadIdx.x / BB;
    const int b = threadIdx.x - jj * BB;
    const int j = j0 + jj;
    const bool owner = jj < J && j < H && b < batch;
    float bias[4] = {0.0f, 0.0f, 0.0f, 0.0f}; // LSTM: bw+br per gate; GRU: r, z sums, n: bw (lbr=1) or bw+br (lbr=0)
    float bias_hn = 0.0f;                      // GRU lbr=1: Rbn, inside r * (...)
    float pi = 0.0f, pf = 0.0f, po = 0.0f;
    float h_reg = 0.0f, c_reg = 0.0f, z_reg = 0.0f;
    int len = a.steps;
    if (owner) {
#pragma unroll
        for (int g = 0; g < 4; ++g) {
            if (g < G) {
                bias[g] = bw[g * H + j] + br[g * H + j];
            }
        }
        if (a.cell == 1 && a.linear_before_reset) {
            bias[2] = bw[2 * H + j];
            bias_hn = br[2 * H + j];
        }
        if (peep != nullptr) {
            pi = peep[j];
            pf = peep[H + j];
            po = peep[2 * H + j];
        }
        h_reg = state_h[(long long)b * a.ld_state + j];
        if (a.cell == 0) {
            c_reg = state_c[(long long)b * a.ld_state + j];
        }
        if (a.lengths != nullptr) {
            len = a.lengths[b];
        }
    }
    const long long slot = (long long)batch * H;
    unsigned int arrivals = 0;
    // Mode 3 exchanges tagged words instead of taking barriers. A one-step launch still takes the counter barrier once,
    // so that no block writes the final state before every block has read the initial one.
    const bool tagged = a.barrier_mode == 3;
    const int barrier_mode = tagged ? 0 : a.barrier_mode;
    unsigned long long* exchange64 = reinterpret_cast<unsigned long long*>(exchange);

    for (int s = 0; s < a.steps; ++s) {
        const bool active = owner && s < len;
        const int t = reverse ? len - 1 - s : s;
        // Issue this step's input projections now: their latency hides behind the state load and the products.
        float xv[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        if (active) {
            const float* xr = xw + t * a.xw_st + b * a.xw_sb;
#pragma unroll
            for (int g = 0; g < 4; ++g) {
                if (g < G) {
                    xv[g] = xr[g * H + j];
                }
            }
        }

        // h_{t-1}: the initial state at s = 0, then the exchange slot the previous step wrote.
        if (s == 0) {
            rnn_load_state<BB>(hs, state_h, a.ld_state, batch, H, hp);
        } else if (tagged) {
            rnn_load_tagged<BB>(hs, exchange64 + ((s - 1) & 1) * slot, batch, H, hp, (unsigned int)s);
        } else {
            rnn_load_state<BB>(hs, exchange + ((s - 1) & 1) * slot, H, batch, H, hp);
        }
        __syncthreads();
        rnn_block_matvec<BB>(reinterpret_cast<const float4*>(rs), reinterpret_cast<const float4*>(hs), gs,
                             0, gru_two_phase ? 2 * J : rows, hp4);
        __syncthreads();

        float* out = exchange + (s & 1) * slot;
        if (a.cell == 0) {
            if (active) {
                const float ai = xv[0] + gs[(0 * J + jj) * BB + b] + bias[0];
                const float af = xv[1] + gs[(1 * J + jj) * BB + b] + bias[1];
                const float ag = xv[2] + gs[(2 * J + jj) * BB + b] + bias[2];
                const float ao = xv[3] + gs[(3 * J + jj) * BB + b] + bias[3];
                h_reg = rnn_lstm_unit(ai, af, ag, ao, pi, pf, po, c_reg, a.clip, a.input_forget, act);
            }
        } else if (!gru_two_phase) {
            if (active) {
                const float r = rnn_activate(act.f, rnn_clip(xv[0] + gs[(0 * J + jj) * BB + b] + bias[0], a.clip));
                const float z = rnn_activate(act.f, rnn_clip(xv[1] + gs[(1 * J + jj) * BB + b] + bias[1], a.clip));
                const float n = rnn_activate(act.g, rnn_clip(xv[2] + bias[2] + r * (gs[(2 * J + jj) * BB + b] + bias_hn), a.clip));
                h_reg = (1.0f - z) * n + z * h_reg;
            }
        } else {
            // r and z, then share r * h_{t-1} and wait for every unit's before the candidate product.
            float rh = 0.0f;
            if (active) {
                const float r = rnn_activate(act.f, rnn_clip(xv[0] + gs[(0 * J + jj) * BB + b] + bias[0], a.clip));
                z_reg = rnn_activate(act.f, rnn_clip(xv[1] + gs[(1 * J + jj) * BB + b] + bias[1], a.clip));
                rh = r * h_reg;
            }
            if (tagged) {
                if (owner) {
                    rnn_store_tagged(exchange64 + 2 * slot + (long long)b * H + j, (unsigned int)(s + 1), rh);
                }
                // No block sync needed here: the candidate product writes rows [2J, 3J) of gs, the lines above read
                // rows [0, 2J), and hs was last read by the first product, before the sync that follows it.
                rnn_load_tagged<BB>(hs, exchange64 + 2 * slot, batch, H, hp, (unsigned int)(s + 1));
            } else {
                if (owner) {
                    __stcg(exchange + 2 * slot + (long long)b * H + j, rh);
                }
                rnn_direction_barrier(barrier_mode, counter, arrivals, nb);
                rnn_load_state<BB>(hs, exchange + 2 * slot, H, batch, H, hp);
            }
            __syncthreads();
            rnn_block_matvec<BB>(reinterpret_cast<const float4*>(rs), reinterpret_cast<const float4*>(hs), gs,
                                 2 * J, rows, hp4);
            __syncthreads();
            if (active) {
                const float n = rnn_activate(act.g, rnn_clip(xv[2] + gs[(2 * J + jj) * BB + b] + bias[2], a.clip));
                h_reg = (1.0f - z_reg) * n + z_reg * h_reg;
            }
        }
        if (owner) {
            // Idle rows pass their state on unchanged.
            if (tagged) {
                rnn_store_tagged(exchange64 + (s & 1) * slot + (long long)b * H + j, (unsigned int)(s + 1), h_reg);
            } else {
                __stcg(out + (long long)b * H + j, h_reg);
            }
        }
        if (active && y != nullptr) {
            y[t * a.y_st + b * a.y_sb + j] = h_reg;
        }
        // After step 0 every block has read the initial state, so the final write below cannot race with it;
        // the last step needs no barrier otherwise. With tags, a block that reads step 0's values has waited for
        // every block to pass step 0, so only a one-step launch needs the counter barrier.
        // (The next step rewrites hs only after every thread passed the sync behind the product that read it, and
        // gs only after the sync behind its load, which every thread reaches after its pointwise work.)
        if (tagged) {
            if (a.steps == 1) {
                rnn_direction_barrier(barrier_mode, counter, arrivals, nb);
            }
        } else if (s + 1 < a.steps || s == 0) {
            rnn_direction_barrier(barrier_mode, counter, arrivals, nb);
        }
    }

    if (owner) {
        state_h[(long long)b * a.ld_state + j] = h_reg;
        if (a.cell == 0) {
            state_c[(long long)b * a.ld_state + j] = c_reg;
        }
    }
}

extern "C" __global__ void __launch_bounds__(512, 1) rnn_persistent_b1(const RnnPersistentArgs a)
{
    rnn_persistent_body<1>(a);
}

extern "C" __global__ void __launch_bounds__(512, 1) rnn_persistent_b2(const RnnPersistentArgs a)
{
    rnn_persistent_body<2>(a);
}

extern "C" __global__ void __launch_bounds__(512, 1) rnn_persistent_b4(const RnnPersistentArgs a)
{
    rnn_persistent_body<4>(a);
}

extern "C" __global__ void __launch_bounds__(512, 1) rnn_persistent_b8(const RnnPersistentArgs a)
{
    rnn_persistent_body<8>(a);
}
