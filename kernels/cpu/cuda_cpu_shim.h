// The CPU shim: compiles the real kernels/*.cu as C++ and runs them on OS threads (docs/gpu.md, "The kernels on the
// CPU"). Included first by the generated translation unit (kernels/cpu/build.sh), before every kernels/*.cu.
//
//   - one OS thread per CUDA thread; threadIdx/blockIdx/blockDim/gridDim are thread-locals set by the launcher;
//   - __syncthreads is a barrier among the block's live threads; warp shuffles go through a per-warp exchange array
//     between two warp barriers; cooperative_groups::this_grid().sync() is a barrier among all threads of the grid;
//   - blocks run one after another, except in "concurrent" launches (persistent kernels), where every thread of every
//     block runs at once, so grid barriers (flag counters or grid sync) work as on a GPU with the grid resident;
//   - static __shared__ variables are `static` (one block runs at a time in a non-concurrent launch); the extern
//     dynamic __shared__ array is bound per block by the generated unit (see build.sh);
//   - atomics and fences are the compiler's __atomic builtins; __trap() aborts the launch with an error the launcher
//     returns (the other threads unwind at their next barrier, shuffle, __nanosleep or clock64 call).
//
// Everything here is CUDA-neutral: nothing in kernels/*.cu is written for the shim.
#pragma once

#include <cmath>
#include <math.h>
#include <utility>
#include <cstdint>
#include <cstring>
#include <type_traits>

// ----- qualifiers -----------------------------------------------------------------------------------------------------
#ifdef LNCPU_SCAN
#define __global__ LNCPU_KERNEL_MARK // the build's scan pass finds the kernels by this mark in the preprocessed unit
#else
#define __global__
#endif
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __shared__ static // the generated unit switches to thread_local around files with extern __shared__

// ----- built-in types and variables -----------------------------------------------------------------------------------
struct uint3 {
    unsigned int x, y, z;
};

struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
};

struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

#define LNCPU_TLS __attribute__((tls_model("initial-exec")))
extern thread_local uint3 threadIdx LNCPU_TLS;
extern thread_local uint3 blockIdx LNCPU_TLS;
extern thread_local dim3 blockDim LNCPU_TLS;
extern thread_local dim3 gridDim LNCPU_TLS;
constexpr int warpSize = 32;

// ----- the runtime (kernels/cpu/cuda_cpu_runtime.cpp) -------------------------------------------------------------------
namespace lncpu {
void syncthreads();
void syncwarp(unsigned int mask);
void grid_sync();
void block_sync();
[[noreturn]] void trap();
void nanosleep_ns(unsigned int ns);
long long clock_ns();
// Exchanges 8 bytes with another lane of the warp: returns what lane `source` stored (own value when source < 0).
std::uint64_t warp_exchange(unsigned int mask, std::uint64_t value, int source);
int lane_id();
} // namespace lncpu

inline void __syncthreads() { lncpu::syncthreads(); }
inline void __syncwarp(unsigned int mask = 0xffffffffu) { lncpu::syncwarp(mask); }
[[noreturn]] inline void __trap() { lncpu::trap(); }
inline void __nanosleep(unsigned int ns) { lncpu::nanosleep_ns(ns); }
inline long long clock64() { return lncpu::clock_ns(); }
inline unsigned long long __globaltimer() { return (unsigned long long)lncpu::clock_ns(); }

// ----- fences and atomics ---------------------------------------------------------------------------------------------
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

template <typename T>
inline T lncpu_atomic_int_add(T* p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline int atomicAdd(int* p, int v) { return lncpu_atomic_int_add(p, v); }
inline unsigned int atomicAdd(unsigned int* p, unsigned int v) { return lncpu_atomic_int_add(p, v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return lncpu_atomic_int_add(p, v); }
inline int atomicSub(int* p, int v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }
inline unsigned int atomicSub(unsigned int* p, unsigned int v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }
inline int atomicExch(int* p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
inline unsigned int atomicExch(unsigned int* p, unsigned int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
inline int atomicCAS(int* p, int expected, int desired)
{
    __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}
inline unsigned int atomicCAS(unsigned int* p, unsigned int expected, unsigned int desired)
{
    __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}
inline unsigned long long atomicCAS(unsigned long long* p, unsigned long long expected, unsigned long long desired)
{
    __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}
inline int atomicMax(int* p, int v)
{
    int old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}
inline unsigned int atomicMax(unsigned int* p, unsigned int v)
{
    unsigned int old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}
template <typename F, typename U>
inline F lncpu_atomic_float_add(F* p, F v)
{
    U* bits = reinterpret_cast<U*>(p);
    U old = __atomic_load_n(bits, __ATOMIC_SEQ_CST);
    for (;;) {
        F current;
        std::memcpy(&current, &old, sizeof(F));
        const F next = current + v;
        U desired;
        std::memcpy(&desired, &next, sizeof(F));
        if (__atomic_compare_exchange_n(bits, &old, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            return current;
        }
    }
}
inline float atomicAdd(float* p, float v) { return lncpu_atomic_float_add<float, std::uint32_t>(p, v); }
inline double atomicAdd(double* p, double v) { return lncpu_atomic_float_add<double, std::uint64_t>(p, v); }

// ----- cache-hinted loads and stores (relaxed atomics for 4- and 8-byte values: other threads write them) ---------------
template <typename T>
inline T lncpu_load(const T* p)
{
    if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
        T v;
        __atomic_load(const_cast<T*>(p), &v, __ATOMIC_RELAXED);
        return v;
    } else {
        return *p;
    }
}
template <typename T>
inline void lncpu_store(T* p, T v)
{
    if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
        __atomic_store(p, &v, __ATOMIC_RELAXED);
    } else {
        *p = v;
    }
}
template <typename T> inline T __ldg(const T* p) { return *p; }
template <typename T> inline T __ldcg(const T* p) { return lncpu_load(p); }
template <typename T> inline T __ldca(const T* p) { return lncpu_load(p); }
template <typename T> inline T __ldcs(const T* p) { return lncpu_load(p); }
template <typename T> inline T __ldlu(const T* p) { return lncpu_load(p); }
template <typename T> inline T __ldcv(const T* p) { return lncpu_load(p); }
template <typename T> inline void __stcg(T* p, T v) { lncpu_store(p, v); }
template <typename T> inline void __stcs(T* p, T v) { lncpu_store(p, v); }
template <typename T> inline void __stwb(T* p, T v) { lncpu_store(p, v); }
template <typename T> inline void __stwt(T* p, T v) { lncpu_store(p, v); }

// ----- warp shuffles (full-warp masks; width as CUDA defines it) -------------------------------------------------------
template <typename T>
inline T lncpu_shuffle(unsigned int mask, T value, int source)
{
    static_assert(sizeof(T) <= 8, "shuffles of up to 8 bytes");
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof(T));
    bits = lncpu::warp_exchange(mask, bits, source);
    T result;
    std::memcpy(&result, &bits, sizeof(T));
    return result;
}
template <typename T>
inline T __shfl_sync(unsigned int mask, T var, int src_lane, int width = warpSize)
{
    const int lane = lncpu::lane_id();
    return lncpu_shuffle(mask, var, (lane / width) * width + (src_lane % width));
}
template <typename T>
inline T __shfl_up_sync(unsigned int mask, T var, unsigned int delta, int width = warpSize)
{
    const int lane = lncpu::lane_id();
    return lncpu_shuffle(mask, var, (lane % width) < (int)delta ? -1 : lane - (int)delta);
}
template <typename T>
inline T __shfl_down_sync(unsigned int mask, T var, unsigned int delta, int width = warpSize)
{
    const int lane = lncpu::lane_id();
    return lncpu_shuffle(mask, var, (lane % width) + (int)delta >= width ? -1 : lane + (int)delta);
}
template <typename T>
inline T __shfl_xor_sync(unsigned int mask, T var, int lane_mask, int width = warpSize)
{
    const int lane = lncpu::lane_id();
    const int source = lane ^ lane_mask;
    return lncpu_shuffle(mask, var, source / width != lane / width ? -1 : source);
}

// ----- math intrinsics ------------------------------------------------------------------------------------------------
// The unit is compiled with -ffp-contract=off, so each of these is one correctly rounded operation, as on the GPU.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __tanf(float x) { return std::tan(x); }
inline float __powf(float x, float y) { return std::pow(x, y); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline unsigned int __float_as_uint(float x) { unsigned int i; std::memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }
inline float __uint_as_float(unsigned int i) { float x; std::memcpy(&x, &i, 4); return x; }
// expf, tanhf, logf, fabsf, fmaf, fminf, fmaxf, pow, sqrt...: the C library's, from <math.h>.

// ----- the kernel registry (filled by the generated unit) --------------------------------------------------------------
namespace lncpu {
using Thunk = void (*)(void** params);
struct KernelEntry {
    const char* name;
    Thunk thunk;
};

template <typename... A, std::size_t... I>
inline void call_kernel(void (*f)(A...), void** params, std::index_sequence<I...>)
{
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(params[I])...);
}
template <typename... A>
inline void call_kernel(void (*f)(A...), void** params)
{
    call_kernel(f, params, std::index_sequence_for<A...>{});
}
} // namespace lncpu

#define LNCPU_KERNEL(name) {#name, [](void** params) { lncpu::call_kernel(&name, params); }},
