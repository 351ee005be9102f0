// Measurement probe, not part of the product: would fusing a slice of the input projection into the batch-1 int8
// recurrent product (the one-thread int8 floor of docs/benchmarks.md) pay? K = I = H = 1024, N = 4H: R and W are
// 4 MiB of packed int8 quads each (the library's layout, NR = 32), both streamed from L3. Per "step" it times
//   rec       the recurrent product alone (64 panel pairs, the library's kernel1x2 loop, int32 sums only),
//   side      a 4-row slice of the input projection (a quarter of W's panels, kernel_r4's loop): one row's worth,
//   rec+side  both, one after the other (what the engine does today, amortised),
//   fused4    one loop: each R iteration also does one quad of 4 rows x 1 W panel (W read once per 4 steps),
//   fused8    the same with 8 rows, every other iteration (W read once per 8 steps),
// after checking the fused int32 sums against the separate loops exactly.
// Built since into the library as lstmn_qgemv_u8s8_fused_avx512vnni (8 rows), used by LayerExecutor.Fused.cs.
// Build and run: clang-14 -O2 -o /tmp/fused benchmarks/native/fused_int8_probe.c && /tmp/fused
// Zen 4 VM, 2026-12-06: rec 45.6-47.2, side 18.4-19.1, rec+side 64.2-70.5, fused4 57.8-66.3, fused8 53.1-62.9 us.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define K 1024
#define QUADS (K / 4)
#define PANELS 128
#define PB (QUADS * 128)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static inline int32_t lq(const uint8_t* a) { int32_t v; memcpy(&v, a, 4); return v; }
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static inline void put(int32_t* c, __m512i s) { _mm512_storeu_si512(c, s); }

__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline))
static void rec_pair(const uint8_t* a, const int8_t* b, const int8_t* b2, int32_t* c)
{
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
    for (int j = 0; j < QUADS; j += 2)
    {
        __m512i x = _mm512_set1_epi32(lq(a));
        s0 = _mm512_dpbusd_epi32(s0, x, _mm512_loadu_si512(b)); s1 = _mm512_dpbusd_epi32(s1, x, _mm512_loadu_si512(b + 64));
        t0 = _mm512_dpbusd_epi32(t0, x, _mm512_loadu_si512(b2)); t1 = _mm512_dpbusd_epi32(t1, x, _mm512_loadu_si512(b2 + 64));
        x = _mm512_set1_epi32(lq(a + 4));
        u0 = _mm512_dpbusd_epi32(u0, x, _mm512_loadu_si512(b + 128)); u1 = _mm512_dpbusd_epi32(u1, x, _mm512_loadu_si512(b + 192));
        v0 = _mm512_dpbusd_epi32(v0, x, _mm512_loadu_si512(b2 + 128)); v1 = _mm512_dpbusd_epi32(v1, x, _mm512_loadu_si512(b2 + 192));
        a += 8; b += 256; b2 += 256;
    }
    put(c, _mm512_add_epi32(s0, u0)); put(c + 16, _mm512_add_epi32(s1, u1)); put(c + 32, _mm512_add_epi32(t0, v0)); put(c + 48, _mm512_add_epi32(t1, v1));
}

// 4 rows against one panel (as kernel_r4)
__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline))
static void side_r4(const uint8_t* a, const int8_t* b, int32_t* c)
{
    __m512i lo[4], hi[4];
    for (int r = 0; r < 4; r++) { lo[r] = _mm512_setzero_si512(); hi[r] = lo[r]; }
    for (int j = 0; j < QUADS; j++)
    {
        __m512i w0 = _mm512_loadu_si512(b), w1 = _mm512_loadu_si512(b + 64);
        for (int r = 0; r < 4; r++)
        {
            __m512i x = _mm512_set1_epi32(lq(a + r * K + 4 * j));
            lo[r] = _mm512_dpbusd_epi32(lo[r], x, w0); hi[r] = _mm512_dpbusd_epi32(hi[r], x, w1);
        }
        b += 128;
    }
    for (int r = 0; r < 4; r++) { put(c + r * 4096, lo[r]); put(c + r * 4096 + 16, hi[r]); }
}

// Fused step: every R pair iteration also does one side quad (4 rows x 1 W panel), the side walking W panels [w0, w0+32).
__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline))
static void fused_step(const uint8_t* h, const int8_t* R, int32_t* c, const uint8_t* xs, const int8_t* W, int w0, int32_t* cx)
{
    int wp = w0, jq = 0;
    const int8_t* wb = W + (long)wp * PB;
    __m512i l0 = _mm512_setzero_si512(), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
    for (int p = 0; p < PANELS; p += 2)
    {
        const uint8_t* a = h; const int8_t* b = R + (long)p * PB; const int8_t* b2 = b + PB;
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
        for (int j = 0; j < QUADS; j += 2)
        {
            __m512i x = _mm512_set1_epi32(lq(a));
            s0 = _mm512_dpbusd_epi32(s0, x, _mm512_loadu_si512(b)); s1 = _mm512_dpbusd_epi32(s1, x, _mm512_loadu_si512(b + 64));
            t0 = _mm512_dpbusd_epi32(t0, x, _mm512_loadu_si512(b2)); t1 = _mm512_dpbusd_epi32(t1, x, _mm512_loadu_si512(b2 + 64));
            x = _mm512_set1_epi32(lq(a + 4));
            u0 = _mm512_dpbusd_epi32(u0, x, _mm512_loadu_si512(b + 128)); u1 = _mm512_dpbusd_epi32(u1, x, _mm512_loadu_si512(b + 192));
            v0 = _mm512_dpbusd_epi32(v0, x, _mm512_loadu_si512(b2 + 128)); v1 = _mm512_dpbusd_epi32(v1, x, _mm512_loadu_si512(b2 + 192));
            a += 8; b += 256; b2 += 256;
            // side quad
            __m512i w0v = _mm512_loadu_si512(wb), w1v = _mm512_loadu_si512(wb + 64);
            const uint8_t* xq = xs + 4 * jq;
            __m512i y = _mm512_set1_epi32(lq(xq));          l0 = _mm512_dpbusd_epi32(l0, y, w0v); h0 = _mm512_dpbusd_epi32(h0, y, w1v);
            y = _mm512_set1_epi32(lq(xq + K));               l1 = _mm512_dpbusd_epi32(l1, y, w0v); h1 = _mm512_dpbusd_epi32(h1, y, w1v);
            y = _mm512_set1_epi32(lq(xq + 2 * K));           l2 = _mm512_dpbusd_epi32(l2, y, w0v); h2 = _mm512_dpbusd_epi32(h2, y, w1v);
            y = _mm512_set1_epi32(lq(xq + 3 * K));           l3 = _mm512_dpbusd_epi32(l3, y, w0v); h3 = _mm512_dpbusd_epi32(h3, y, w1v);
            wb += 128;
            if (++jq == QUADS)
            {
                int32_t* cc = cx + wp * 32;
                put(cc, l0); put(cc + 16, h0); put(cc + 4096, l1); put(cc + 4096 + 16, h1);
                put(cc + 8192, l2); put(cc + 8192 + 16, h2); put(cc + 12288, l3); put(cc + 12288 + 16, h3);
                l0 = l1 = l2 = l3 = h0 = h1 = h2 = h3 = _mm512_setzero_si512();
                jq = 0; wp++;
            }
        }
        int32_t* cp = c + p * 32;
        put(cp, _mm512_add_epi32(s0, u0)); put(cp + 16, _mm512_add_epi32(s1, u1)); put(cp + 32, _mm512_add_epi32(t0, v0)); put(cp + 48, _mm512_add_epi32(t1, v1));
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline))
static void fused8_step(const uint8_t* h, const int8_t* R, int32_t* c, const uint8_t* xs, const int8_t* W, int w0, int32_t* cx)
{
    int wp = w0, jq = 0;
    const int8_t* wb = W + (long)wp * PB;
    __m512i l[8], hh[8];
    for (int r = 0; r < 8; r++) { l[r] = _mm512_setzero_si512(); hh[r] = l[r]; }
    for (int p = 0; p < PANELS; p += 2)
    {
        const uint8_t* a = h; const int8_t* b = R + (long)p * PB; const int8_t* b2 = b + PB;
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
        for (int j = 0; j < QUADS; j += 2)
        {
            __m512i x = _mm512_set1_epi32(lq(a));
            s0 = _mm512_dpbusd_epi32(s0, x, _mm512_loadu_si512(b)); s1 = _mm512_dpbusd_epi32(s1, x, _mm512_loadu_si512(b + 64));
            t0 = _mm512_dpbusd_epi32(t0, x, _mm512_loadu_si512(b2)); t1 = _mm512_dpbusd_epi32(t1, x, _mm512_loadu_si512(b2 + 64));
            x = _mm512_set1_epi32(lq(a + 4));
            u0 = _mm512_dpbusd_epi32(u0, x, _mm512_loadu_si512(b + 128)); u1 = _mm512_dpbusd_epi32(u1, x, _mm512_loadu_si512(b + 192));
            v0 = _mm512_dpbusd_epi32(v0, x, _mm512_loadu_si512(b2 + 128)); v1 = _mm512_dpbusd_epi32(v1, x, _mm512_loadu_si512(b2 + 192));
            a += 8; b += 256; b2 += 256;
            if (j & 2) continue;
            __m512i w0v = _mm512_loadu_si512(wb), w1v = _mm512_loadu_si512(wb + 64);
            const uint8_t* xq = xs + 4 * jq;
            for (int r = 0; r < 8; r++)
            {
                __m512i y = _mm512_set1_epi32(lq(xq + r * K));
                l[r] = _mm512_dpbusd_epi32(l[r], y, w0v); hh[r] = _mm512_dpbusd_epi32(hh[r], y, w1v);
            }
            wb += 128;
            if (++jq == QUADS)
            {
                int32_t* cc = cx + wp * 32;
                for (int r = 0; r < 8; r++) { put(cc + r * 4096, l[r]); put(cc + r * 4096 + 16, hh[r]); l[r] = _mm512_setzero_si512(); hh[r] = l[r]; }
                jq = 0; wp++;
            }
        }
        int32_t* cp = c + p * 32;
        put(cp, _mm512_add_epi32(s0, u0)); put(cp + 16, _mm512_add_epi32(s1, u1)); put(cp + 32, _mm512_add_epi32(t0, v0)); put(cp + 48, _mm512_add_epi32(t1, v1));
    }
}

int main(void)
{
    int8_t* R = aligned_alloc(64, (long)PANELS * PB); int8_t* W = aligned_alloc(64, (long)PANELS * PB);
    uint8_t* h = aligned_alloc(64, K); uint8_t* xs = aligned_alloc(64, 8 * K);
    int32_t* c = aligned_alloc(64, 4096 * 4); int32_t* cx = aligned_alloc(64, 8 * 4096 * 4); int32_t* cx2 = aligned_alloc(64, 4 * 4096 * 4); int32_t* c2 = aligned_alloc(64, 4096 * 4);
    srand(1);
    for (long i = 0; i < (long)PANELS * PB; i++) { R[i] = rand() % 255 - 127; W[i] = rand() % 255 - 127; }
    for (int i = 0; i < K; i++) h[i] = rand() & 255;
    for (int i = 0; i < 8 * K; i++) xs[i] = rand() & 255;
    // exactness
    fused_step(h, R, c, xs, W, 0, cx);
    for (int p = 0; p < PANELS; p += 2) rec_pair(h, R + (long)p * PB, R + (long)(p + 1) * PB, c2 + p * 32);
    for (int q = 0; q < 32; q++) side_r4(xs, W + (long)q * PB, cx2 + q * 32);
    int bad = 0;
    for (int i = 0; i < 4096; i++) bad += c[i] != c2[i];
    for (int r = 0; r < 4; r++) for (int i = 0; i < 32 * 32; i++) bad += cx[r * 4096 + i] != cx2[r * 4096 + i];
    printf("mismatches %d\n", bad);
    const int STEPS = 400;
    for (int round = 0; round < 5; round++)
    {
        double t0 = now();
        for (int s = 0; s < STEPS; s++)
            for (int p = 0; p < PANELS; p += 2) rec_pair(h, R + (long)p * PB, R + (long)(p + 1) * PB, c + p * 32);
        double t1 = now();
        for (int s = 0; s < STEPS; s++)
            for (int q = 0; q < 32; q++) side_r4(xs, W + (long)((s % 4) * 32 + q) * PB, cx + q * 32);
        double t2 = now();
        for (int s = 0; s < STEPS; s++)
        {
            for (int p = 0; p < PANELS; p += 2) rec_pair(h, R + (long)p * PB, R + (long)(p + 1) * PB, c + p * 32);
            for (int q = 0; q < 32; q++) side_r4(xs, W + (long)((s % 4) * 32 + q) * PB, cx + q * 32);
        }
        double t3 = now();
        for (int s = 0; s < STEPS; s++) fused_step(h, R, c, xs, W, (s % 4) * 32, cx);
        double t4 = now();
        for (int s = 0; s < STEPS; s++) fused8_step(h, R, c, xs, W, (s % 8) * 16, cx);
        double t5 = now();
        printf("per step us: rec %.2f  side %.2f  rec+side %.2f  fused4 %.2f  fused8 %.2f\n", (t1 - t0) / STEPS * 1e6, (t2 - t1) / STEPS * 1e6, (t3 - t2) / STEPS * 1e6, (t4 - t3) / STEPS * 1e6, (t5 - t4) / STEPS * 1e6);
    }
    return 0;
}
