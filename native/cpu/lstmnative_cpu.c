// LstmNative CPU micro-kernels for what .NET 10 cannot emit (EVEX VNNI: vpdpbusd; AVX512-BF16: vdpbf16ps), and the
// int8 product at 256 bits with AVX-VNNI's VEX vpdpbusd (.NET's AvxVnni could emit that one; here it shares the
// 512-bit kernel's source and packed layout, int8_quads.inc).
// Built by clang (build/native-cpu.cake) into liblstmnative_cpu.so; loaded by LstmNative.Cpu.Kernels.NativeCpu.
// Every kernel is compiled for its instruction set through target attributes and only called after the managed side
// checked the CPU (lstmn_cpu_features) and compared the kernel with its managed reference on a probe product, so the
// library itself builds and loads on any x86-64 CPU. Compiled with -ffp-contract=off: the float epilogue must round
// exactly as the managed reference does (int8 results are compared bit for bit).
// ABI 2: adds lstmn_sgemm_bf16_avx512bf16 (a stale ABI-1 library is reported and the managed kernels run).
// ABI 3: adds lstmn_sgemv_f32_avx512 (the float32 batch-1 product).
// ABI 4: adds lstmn_qgemm_u8s8_static_avx512vnni (static int8: fixed, calibrated activation scale, saturating).
// ABI 5: adds lstmn_quantize_side_rows_u8_avx512vnni and lstmn_qgemv_u8s8_fused_avx512vnni (batch 1: the input projection
//        of later steps interleaved into the recurrent product's stream).
// ABI 6: lstmn_qgemv_u8s8_fused_avx512vnni takes runPanels (R's panels in runs from the last run to the first: the
//        alternating walk, LstmNative.Cpu.Kernels.Sgemm.RunRecurrent).
// ABI 7: adds lstmn_qgemm_u8s8_avxvnni and lstmn_qgemm_u8s8_static_avxvnni (the int8 products with the VEX form of
//        vpdpbusd on 256-bit registers, for CPUs with AVX-VNNI whose .NET runs 256-bit kernels); lstmn_cpu_features
//        reports FEAT_AVXVNNI (16).
// ABI 8: adds lstmn_sgemm_rows_f32_avx512 (the float32 product of 2-4 rows: small batches' recurrent product).
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include <cpuid.h>

#define API __attribute__((visibility("default")))
#define VNNI512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define BF16512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define F32512 __attribute__((target("avx512f")))
#define AVXVNNI256 __attribute__((target("avx2,avxvnni")))

enum { FEAT_AVX512 = 1, FEAT_VNNI = 2, FEAT_BF16 = 4, FEAT_AMX = 8, FEAT_AVXVNNI = 16 };

API int lstmn_cpu_abi_version(void) { return 8; }

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

// What the CPU and the OS (XSAVE state enabled) allow: FEAT_* bits.
API int lstmn_cpu_features(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) || !(c & (1u << 28))) // OSXSAVE, AVX
        return 0;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6 || __get_cpuid_max(0, 0) < 7) // SSE and AVX state
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned a1, b1, c1, d1;
    __cpuid_count(7, 1, a1, b1, c1, d1);
    int f = 0;
    if ((b & (1u << 5)) && (a1 & (1u << 4))) // AVX2, AVX-VNNI
        f |= FEAT_AVXVNNI;
    int avx512 = (xcr0 & 0xE6) == 0xE6 // opmask, ZMM_Hi256, Hi16_ZMM state
        && (b & (1u << 16)) && (b & (1u << 30)) && (b & (1u << 31)); // F, BW, VL
    if (avx512)
        f |= FEAT_AVX512;
    if (avx512 && (c & (1u << 11)))
        f |= FEAT_VNNI;
    if (avx512 && (a1 & (1u << 5)))
        f |= FEAT_BF16;
    if ((d & (1u << 24)) && (d & (1u << 25)) && ((xcr0 & 0x60000) == 0x60000)) // AMX-TILE, AMX-INT8, XTILECFG/XTILEDATA
        f |= FEAT_AMX;
    return f;
}

// ---- int8: u8 activations x s8 weights with vpdpbusd ----------------------------------------------------------------
// A row is quantized once over its whole K: scale = max|x| / 127, q = round_half_even(x * (127 / max)), u = q + 128;
// then C[n] (+)= float(sum_k u*w - 128*colSum[n]) * (rowScale * colScale[n]), colSum[n] = sum_k q[k, n]. The products
// themselves are in int8_quads.inc, included below once per register width.

#define FLOOR_ACT 7.888609e-31f

// A row's scale and its reciprocal from max|x| (dynamic) or the calibrated pair (static); see quantize_row.
static inline void row_scale(float max, int notFinite, float fixedScale, float fixedInv, float* scale, float* inv)
{
    if (fixedScale > 0) { *scale = fixedScale; *inv = fixedInv; }
    else if (notFinite) { *scale = __builtin_nanf(""); *inv = 0; }
    else if (max < FLOOR_ACT) { *scale = 0; *inv = 0; }
    else { *inv = 127.0f / max; *scale = max / 127.0f; }
}

// Elements [i, k) one at a time, then the zero pad to k4; returns whether a static row met NaN or +-inf there.
static inline int quantize_tail(const float* x, long stride, int i, int k, int k4, uint8_t* dst, float inv, int fixed)
{
    int notFinite = 0;
    for (; i < k; i++)
    {
        float xv = x[i * stride];
        float v = xv * inv;
        if (fixed)
        {
            uint32_t bits;
            memcpy(&bits, &xv, 4);
            notFinite |= (bits & 0x7F800000u) == 0x7F800000u;
            v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v; // NaN passes through; the row's scale is NaN then
        }
        __m128 s = _mm_set_ss(v);
        int q = _mm_cvtss_si32(s);
        dst[i] = (uint8_t)(q + 128); // the low byte, as vpmovdb truncates
    }
    for (; i < k4; i++)
        dst[i] = 128;
    return notFinite;
}

// The largest magnitude's bits of x[i..k) (scalar), folded into best: NaN > inf > every finite value (as the managed
// Quantization.MaxAbs).
static inline int32_t max_abs_bits_tail(const float* x, long stride, int i, int k, int32_t best)
{
    for (; i < k; i++)
    {
        int32_t bits;
        memcpy(&bits, x + i * stride, 4);
        bits &= 0x7FFFFFFF;
        if (bits > best)
            best = bits;
    }
    return best;
}

static inline float bits_to_float(int32_t bits) { float r; memcpy(&r, &bits, 4); return r; }

// Quantizes one row into k4 bytes (zero padded: u = 128 there, compensated like the rest since w = 0) and returns its
// scale. Dynamic (fixedScale = 0): the row's own max|x| / 127. Static (fixedScale > 0, the calibrated range / 127 with
// fixedInv = 127 / range, both computed by the managed side so the two agree bit for bit): no max scan; x * fixedInv is
// clamped to +-127 before rounding (saturation: values past the calibrated range map to the end of the int range,
// never wrap), and a row holding NaN or +-inf gets scale NaN so its products are NaN, as in the dynamic scheme.
VNNI512 static float quantize_row_512(const float* x, long stride, int k, int k4, uint8_t* dst, float fixedScale, float fixedInv)
{
    float scale, inv, max = 0;
    int fixed = fixedScale > 0, notFinite = 0;
    if (!fixed)
    {
        int32_t best = 0;
        int i = 0;
        if (stride == 1)
        {
            __m512i m = _mm512_setzero_si512(), mask = _mm512_set1_epi32(0x7FFFFFFF);
            for (; i + 16 <= k; i += 16)
                m = _mm512_max_epi32(m, _mm512_and_si512(_mm512_loadu_si512(x + i), mask));
            best = _mm512_reduce_max_epi32(m);
        }
        best = max_abs_bits_tail(x, stride, i, k, best);
        max = bits_to_float(best);
        notFinite = best >= 0x7F800000;
    }
    row_scale(max, notFinite, fixedScale, fixedInv, &scale, &inv);
    int bad = 0, i = 0;
    if (stride == 1)
    {
        __m512 vinv = _mm512_set1_ps(inv), hi = _mm512_set1_ps(127.0f), lo = _mm512_set1_ps(-127.0f);
        __m512i zp = _mm512_set1_epi32(128), expMask = _mm512_set1_epi32(0x7F800000);
        __mmask16 badMask = 0;
        for (; i + 16 <= k; i += 16)
        {
            __m512 v = _mm512_loadu_ps(x + i);
            __m512 p = _mm512_mul_ps(v, vinv);
            if (fixed)
            {
                // Exponent all ones: NaN or +-inf.
                badMask |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(v), expMask), expMask);
                p = _mm512_min_ps(_mm512_max_ps(p, lo), hi);
            }
            __m512i q = _mm512_cvtps_epi32(p); // round half to even (MXCSR default)
            q = _mm512_add_epi32(q, zp);
            _mm_storeu_si128((__m128i*)(dst + i), _mm512_cvtepi32_epi8(q));
        }
        bad = badMask != 0;
    }
    bad |= quantize_tail(x, stride, i, k, k4, dst, inv, fixed);
    return fixed && bad ? __builtin_nanf("") : scale;
}

// quantize_row_512 on 256-bit registers (AVX2), the same values: vpmovdb's truncation to the low byte is a byte shuffle.
AVXVNNI256 static float quantize_row_256(const float* x, long stride, int k, int k4, uint8_t* dst, float fixedScale, float fixedInv)
{
    float scale, inv, max = 0;
    int fixed = fixedScale > 0, notFinite = 0;
    if (!fixed)
    {
        int32_t best = 0;
        int i = 0;
        if (stride == 1)
        {
            __m256i m = _mm256_setzero_si256(), mask = _mm256_set1_epi32(0x7FFFFFFF);
            for (; i + 8 <= k; i += 8)
                m = _mm256_max_epi32(m, _mm256_and_si256(_mm256_loadu_si256((const __m256i*)(x + i)), mask));
            __m128i r = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
            r = _mm_max_epi32(r, _mm_shuffle_epi32(r, 0x4E));
            r = _mm_max_epi32(r, _mm_shuffle_epi32(r, 0xB1));
            best = _mm_cvtsi128_si32(r);
        }
        best = max_abs_bits_tail(x, stride, i, k, best);
        max = bits_to_float(best);
        notFinite = best >= 0x7F800000;
    }
    row_scale(max, notFinite, fixedScale, fixedInv, &scale, &inv);
    int bad = 0, i = 0;
    if (stride == 1)
    {
        __m256 vinv = _mm256_set1_ps(inv), hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
        __m256i zp = _mm256_set1_epi32(128), expMask = _mm256_set1_epi32(0x7F800000);
        // Bytes 0, 4, 8, 12 of each 128-bit lane to its first four bytes.
        __m256i low = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                       0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
        int badMask = 0;
        for (; i + 8 <= k; i += 8)
        {
            __m256 v = _mm256_loadu_ps(x + i);
            __m256 p = _mm256_mul_ps(v, vinv);
            if (fixed)
            {
                __m256i e = _mm256_and_si256(_mm256_castps_si256(v), expMask);
                badMask |= _mm256_movemask_epi8(_mm256_cmpeq_epi32(e, expMask));
                p = _mm256_min_ps(_mm256_max_ps(p, lo), hi);
            }
            __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(p), zp);
            q = _mm256_shuffle_epi8(q, low);
            int32_t q0 = _mm_cvtsi128_si32(_mm256_castsi256_si128(q)), q1 = _mm_cvtsi128_si32(_mm256_extracti128_si256(q, 1));
            memcpy(dst + i, &q0, 4);
            memcpy(dst + i + 4, &q1, 4);
        }
        bad = badMask != 0;
    }
    bad |= quantize_tail(x, stride, i, k, k4, dst, inv, fixed);
    return fixed && bad ? __builtin_nanf("") : scale;
}

static inline int32_t load_quad(const uint8_t* a) { int32_t v; memcpy(&v, a, 4); return v; }

// AVX-512 VNNI: panels of 32 columns, lstmn_qgemm_u8s8_avx512vnni and lstmn_qgemm_u8s8_static_avx512vnni.
#define Q_TARGET VNNI512
#define Q_NAME(x) x##_512
#define Q_EXPORT(x) lstmn_##x##_avx512vnni
#define Q_LANES 16
#define QV __m512i
#define QF __m512
#define QV_ZERO() _mm512_setzero_si512()
#define QV_LOAD(p) _mm512_loadu_si512(p)
#define QV_SET1(i) _mm512_set1_epi32(i)
#define QV_DP(acc, x, w) _mm512_dpbusd_epi32(acc, x, w)
#define QV_ADD(a, b) _mm512_add_epi32(a, b)
#define QV_SUB(a, b) _mm512_sub_epi32(a, b)
#define QV_MULLO(a, b) _mm512_mullo_epi32(a, b)
#define QF_CVT(v) _mm512_cvtepi32_ps(v)
#define QF_SET1(f) _mm512_set1_ps(f)
#define QF_LOAD(p) _mm512_loadu_ps(p)
#define QF_STORE(p, v) _mm512_storeu_ps(p, v)
#define QF_ADD(a, b) _mm512_add_ps(a, b)
#define QF_MUL(a, b) _mm512_mul_ps(a, b)
#define Q_QUANTIZE_ROW quantize_row_512
#include "int8_quads.inc"
#undef Q_TARGET
#undef Q_NAME
#undef Q_EXPORT
#undef Q_LANES
#undef QV
#undef QF
#undef QV_ZERO
#undef QV_LOAD
#undef QV_SET1
#undef QV_DP
#undef QV_ADD
#undef QV_SUB
#undef QV_MULLO
#undef QF_CVT
#undef QF_SET1
#undef QF_LOAD
#undef QF_STORE
#undef QF_ADD
#undef QF_MUL
#undef Q_QUANTIZE_ROW

// AVX-VNNI (VEX vpdpbusd on 256-bit registers): panels of 16 columns, lstmn_qgemm_u8s8_avxvnni and
// lstmn_qgemm_u8s8_static_avxvnni.
#define Q_TARGET AVXVNNI256
#define Q_NAME(x) x##_256
#define Q_EXPORT(x) lstmn_##x##_avxvnni
#define Q_LANES 8
#define QV __m256i
#define QF __m256
#define QV_ZERO() _mm256_setzero_si256()
#define QV_LOAD(p) _mm256_loadu_si256((const __m256i*)(p))
#define QV_SET1(i) _mm256_set1_epi32(i)
#define QV_DP(acc, x, w) _mm256_dpbusd_avx_epi32(acc, x, w)
#define QV_ADD(a, b) _mm256_add_epi32(a, b)
#define QV_SUB(a, b) _mm256_sub_epi32(a, b)
#define QV_MULLO(a, b) _mm256_mullo_epi32(a, b)
#define QF_CVT(v) _mm256_cvtepi32_ps(v)
#define QF_SET1(f) _mm256_set1_ps(f)
#define QF_LOAD(p) _mm256_loadu_ps(p)
#define QF_STORE(p, v) _mm256_storeu_ps(p, v)
#define QF_ADD(a, b) _mm256_add_ps(a, b)
#define QF_MUL(a, b) _mm256_mul_ps(a, b)
#define Q_QUANTIZE_ROW quantize_row_256
#include "int8_quads.inc"
#undef Q_TARGET
#undef Q_NAME
#undef Q_EXPORT
#undef Q_LANES
#undef QV
#undef QF
#undef QV_ZERO
#undef QV_LOAD
#undef QV_SET1
#undef QV_DP
#undef QV_ADD
#undef QV_SUB
#undef QV_MULLO
#undef QF_CVT
#undef QF_SET1
#undef QF_LOAD
#undef QF_STORE
#undef QF_ADD
#undef QF_MUL
#undef Q_QUANTIZE_ROW

// ---- batch 1, fused: the recurrent product with a slice of the input projection in its gaps --------------------------
// At batch 1 the recurrent product streams R from L3 and leaves the VNNI unit about half idle; the input projection is
// VNNI work on W, also streamed. Here one loop does both: while it streams a pair of R's panels for h, every other
// iteration also multiplies one quad of a W panel by up to SIDE rows of already quantized inputs (later steps' x), so W
// is read once per SIDE steps and its arithmetic fills the gaps. Measured with benchmarks/native/fused_int8_probe.c:
// 17 % off a step at H = 1024. The sums are int32 (exact) and both epilogues are put_512's, so C and the side rows are bit
// for bit what qgemm_u8s8_512 gives for the same rows (checked at load and in the tests).
#define SIDE 8

// Quantizes rows [0, m) of A (a[r*ars + k*acs]; ars may be negative) exactly as qgemm_u8s8 quantizes its rows (fixedScale
// 0: dynamic; > 0: static, saturating), scales to scales[r], for the fused product's side rows: in blocks of SIDE rows,
// each block's rows interleaved by quad (row r's quad j at block + j*4*SIDE + (r % SIDE)*4), so that one pointer reaches
// every row's quad and the side accumulators stay in registers. scratch holds k4 bytes.
API VNNI512 int lstmn_quantize_side_rows_u8_avx512vnni(int m, int k, const float* a, long ars, long acs, uint8_t* dst,
    float* scales, float fixedScale, float fixedInv, uint8_t* scratch)
{
    int k4 = (k + 3) & ~3, quads = k4 / 4;
    for (int r = 0; r < m; r++)
    {
        scales[r] = quantize_row_512(a + (long)r * ars, acs, k, k4, scratch, fixedScale, fixedInv);
        uint8_t* block = dst + (long)(r / SIDE) * quads * 4 * SIDE + (r % SIDE) * 4;
        for (int j = 0; j < quads; j++)
            memcpy(block + (long)j * 4 * SIDE, scratch + 4 * j, 4);
    }
    return 0;
}

VNNI512 static inline void side_quad(const int8_t* wb, const uint8_t* xb, __m512i* lo, __m512i* hi)
{
    __m512i w0 = _mm512_loadu_si512(wb), w1 = _mm512_loadu_si512(wb + 64);
#pragma clang loop unroll(full)
    for (int r = 0; r < SIDE; r++)
    {
        __m512i x = _mm512_set1_epi32(load_quad(xb + 4 * r));
        lo[r] = _mm512_dpbusd_epi32(lo[r], x, w0);
        hi[r] = _mm512_dpbusd_epi32(hi[r], x, w1);
    }
}

// C[0, 32*count) (+)= h x R panels [0, count) (as qgemm_u8s8 with m = 1), and side rows r in [0, rows) (rows <= 8;
// one block of lstmn_quantize_side_rows_u8_avx512vnni at xq, scales xScale[r]) x W panels [q0, q0 + qcount) written (not
// accumulated) at cx + r*ldcx + q*32 (ldcx may be negative). Returns 0, -1 when h does not fit the scratch, -3 for rows
// outside [0, 8], -4 for an odd runPanels.
API VNNI512 int lstmn_qgemv_u8s8_fused_avx512vnni(int k, const float* h, const int8_t* panels, long panelBytes, int count,
    const float* colScale, const int32_t* colSum, float* c, int accumulate, uint8_t* scratch, long scratchBytes,
    float fixedScale, float fixedInv, int kx, const uint8_t* xq, const float* xScale, int rows,
    const int8_t* wPanels, long wPanelBytes, int q0, int qcount, const float* wColScale, const int32_t* wColSum, float* cx, long ldcx,
    int runPanels)
{
    if (rows < 0 || rows > SIDE)
        return -3;
    if (runPanels < 0 || (runPanels & 1))
        return -4;
    int k4 = (k + 3) & ~3, quads = k4 / 4, quadsX = ((kx + 3) & ~3) / 4;
    if (scratchBytes < k4)
        return -1;
    uint8_t* qa = scratch;
    float rowScale = quantize_row_512(h, 1, k, k4, qa, fixedScale, fixedInv);
    // Lanes past rows compute on whatever the block holds there and are never stored.
    __m512i lo[SIDE], hi[SIDE];
    for (int r = 0; r < SIDE; r++) { lo[r] = _mm512_setzero_si512(); hi[r] = lo[r]; }
    int side = rows > 0 && qcount > 0 && quadsX > 0, wp = q0, jq = 0;
    const int8_t* wb = wPanels + (long)wp * wPanelBytes;
    __m512i k128 = _mm512_set1_epi32(128);
#define SIDE_STEP()                                                                                                      \
    do {                                                                                                                 \
        side_quad(wb, xq + (long)jq * 4 * SIDE, lo, hi);                                                                  \
        wb += 128;                                                                                                       \
        if (++jq == quadsX)                                                                                              \
        {                                                                                                                \
            __m512i c0 = _mm512_mullo_epi32(k128, _mm512_loadu_si512(wColSum + (long)wp * 32));                        \
            __m512i c1 = _mm512_mullo_epi32(k128, _mm512_loadu_si512(wColSum + (long)wp * 32 + 16));                   \
            /* fully unrolled, constant indices: the accumulators stay in registers (a loop here kept them in memory) */ \
            _Pragma("clang loop unroll(full)")                                                                           \
            for (int r = 0; r < SIDE; r++)                                                                               \
                if (r < rows)                                                                                            \
                {                                                                                                        \
                    float* cr = cx + r * ldcx + (long)wp * 32;                                                           \
                    put_512(cr, lo[r], c0, wColScale + (long)wp * 32, xScale[r], 0);                                     \
                    put_512(cr + 16, hi[r], c1, wColScale + (long)wp * 32 + 16, xScale[r], 0);                           \
                }                                                                                                        \
            _Pragma("clang loop unroll(full)")                                                                           \
            for (int r = 0; r < SIDE; r++) { lo[r] = _mm512_setzero_si512(); hi[r] = lo[r]; }                           \
            jq = 0;                                                                                                      \
            if (++wp == q0 + qcount) side = 0;                                                                           \
            else wb = wPanels + (long)wp * wPanelBytes;                                                                  \
        }                                                                                                                \
    } while (0)
    // runPanels > 0 (even): R's panels in runs of that many, the last run first (the alternating walk); 0: one run. The
    // pairs and the lone last panel are the same either way, and the sums exact, so C does not depend on the order.
    int run = runPanels > 0 ? runPanels : (count > 0 ? count : 1);
    for (int q = runPanels > 0 && count > 0 ? (count - 1) / run * run : 0; q >= 0; q = runPanels > 0 ? q - run : -1)
    {
        int end = q + run < count ? q + run : count;
        int p = q;
        for (; p + 1 < end; p += 2)
        {
            const uint8_t* a = qa;
            const int8_t* b = panels + (long)p * panelBytes;
            const int8_t* b2 = b + panelBytes;
            __m512i pr[8];
#pragma clang loop unroll(full)
            for (int i = 0; i < 8; i++)
                pr[i] = _mm512_setzero_si512();
            int j = 0;
            for (; j + 2 <= quads; j += 2)
            {
                pair_quads_512(a, b, b2, pr);
                a += 8; b += 256; b2 += 256;
                if (side && (j & 2) == 0)
                    SIDE_STEP();
            }
            if (j < quads)
                pair_quad_512(a, b, b2, pr);
            pair_put_512(c + (long)p * 32, pr, colScale + (long)p * 32, colSum + (long)p * 32, rowScale, accumulate);
        }
        if (p < end) // a lone last panel, as qgemm_u8s8 runs it
            kernel_r1_512(qa, k4, panels + (long)p * panelBytes, quads, c + (long)p * 32, 0, colScale + (long)p * 32, colSum + (long)p * 32, &rowScale, accumulate);
    }
    while (side) // what the stream did not cover (W longer than R, or few R panels)
        SIDE_STEP();
#undef SIDE_STEP
    return 0;
}

// ---- bf16: bf16 activations x bf16 weights with vdpbf16ps ---------------------------------------------------------
// Panels of NR = 32 columns; K padded to even; pair j of a panel is 128 bytes: for each register half h in {0, 1},
// 16 columns x 2 bf16 (k = 2j in the low, 2j + 1 in the high half of the 32-bit lane of column h*16 + i).
// Each row of A is rounded once to bf16 (vcvtne2ps2bf16: round to nearest even, float32 denormals to zero, NaN stays
// NaN), padded with one zero when K is odd, and each 32-bit pair is broadcast against the panel: vdpbf16ps does 32
// multiply-adds per instruction (products of two bf16 are exact in float32; the sums are float32, round to nearest).

static inline int32_t load_pair(const uint16_t* a) { int32_t v; memcpy(&v, a, 4); return v; }

#define DP(acc, x, p) _mm512_dpbf16_ps(acc, (__m512bh)(x), (__m512bh)_mm512_loadu_si512(p))

// Rounds k floats (stride apart) to bf16 into dst[0, k2), k2 = k rounded up to even (the pad is +0). Always through
// the instruction, tails included, so every element rounds alike (the managed reference models this one rounding).
BF16512 static void bf16_row(const float* x, long stride, int k, int k2, uint16_t* dst)
{
    int i = 0;
    if (stride == 1)
        for (; i + 32 <= k; i += 32)
            _mm512_storeu_si512(dst + i, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i)));
    for (; i < k; i += 16)
    {
        int n = k - i < 16 ? k - i : 16;
        __mmask16 mask = (__mmask16)((1u << n) - 1);
        __m512 v;
        if (stride == 1)
            v = _mm512_maskz_loadu_ps(mask, x + i);
        else
        {
            float t[16] = {0};
            for (int j = 0; j < n; j++)
                t[j] = x[(long)(i + j) * stride];
            v = _mm512_loadu_ps(t);
        }
        _mm256_mask_storeu_epi16(dst + i, mask, (__m256i)_mm512_cvtneps_pbh(v));
    }
    if (k2 > k)
        dst[k] = 0;
}

BF16512 static inline void putf(float* c, __m512 v, int acc)
{
    if (acc)
        v = _mm512_add_ps(_mm512_loadu_ps(c), v);
    _mm512_storeu_ps(c, v);
}

// One row against two adjacent panels (batch 1: the product that streams R each step), two pairs per iteration, eight
// chains (vdpbf16ps has a latency of several cycles; eight independent sums keep it busy).
BF16512 static void bkernel1x2(const uint16_t* a, const uint16_t* b, const uint16_t* b2, int pairs, float* c, int acc)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
    int j = 0;
    for (; j + 2 <= pairs; j += 2)
    {
        __m512i x = _mm512_set1_epi32(load_pair(a));
        s0 = DP(s0, x, b);
        s1 = DP(s1, x, b + 32);
        t0 = DP(t0, x, b2);
        t1 = DP(t1, x, b2 + 32);
        x = _mm512_set1_epi32(load_pair(a + 2));
        u0 = DP(u0, x, b + 64);
        u1 = DP(u1, x, b + 96);
        v0 = DP(v0, x, b2 + 64);
        v1 = DP(v1, x, b2 + 96);
        a += 4; b += 128; b2 += 128;
    }
    if (j < pairs)
    {
        __m512i x = _mm512_set1_epi32(load_pair(a));
        s0 = DP(s0, x, b);
        s1 = DP(s1, x, b + 32);
        t0 = DP(t0, x, b2);
        t1 = DP(t1, x, b2 + 32);
    }
    putf(c, _mm512_add_ps(s0, u0), acc);
    putf(c + 16, _mm512_add_ps(s1, u1), acc);
    putf(c + 32, _mm512_add_ps(t0, v0), acc);
    putf(c + 48, _mm512_add_ps(t1, v1), acc);
}

// Up to 6 rows (k2 bf16 apart) against one panel: 12 accumulators, two weight loads per pair shared by every row.
#define BF16_ROWS_KERNEL(R)                                                                                              \
BF16512 static void bkernel_r##R(const uint16_t* a, long lda, const uint16_t* b, int pairs, float* c, long ldc, int acc) \
{                                                                                                                        \
    __m512 lo[R], hi[R];                                                                                                 \
    for (int r = 0; r < R; r++) { lo[r] = _mm512_setzero_ps(); hi[r] = lo[r]; }                                         \
    for (int j = 0; j < pairs; j++)                                                                                      \
    {                                                                                                                    \
        __m512bh w0 = (__m512bh)_mm512_loadu_si512(b), w1 = (__m512bh)_mm512_loadu_si512(b + 32);                       \
        for (int r = 0; r < R; r++)                                                                                      \
        {                                                                                                                \
            __m512bh x = (__m512bh)_mm512_set1_epi32(load_pair(a + r * lda + 2 * j));                                    \
            lo[r] = _mm512_dpbf16_ps(lo[r], x, w0);                                                                      \
            hi[r] = _mm512_dpbf16_ps(hi[r], x, w1);                                                                      \
        }                                                                                                                \
        b += 64;                                                                                                         \
    }                                                                                                                    \
    for (int r = 0; r < R; r++)                                                                                          \
    {                                                                                                                    \
        putf(c + r * ldc, lo[r], acc);                                                                                   \
        putf(c + r * ldc + 16, hi[r], acc);                                                                              \
    }                                                                                                                    \
}
BF16_ROWS_KERNEL(1)
BF16_ROWS_KERNEL(2)
BF16_ROWS_KERNEL(3)
BF16_ROWS_KERNEL(4)
BF16_ROWS_KERNEL(5)
BF16_ROWS_KERNEL(6)

// C rows [0, m), panels [p0, p0 + count): C[m, n] (+)= sum_k bf16(A(m, k)) * B[k, n], A(m, k) = a[m*ars + k*acs]; C's
// rows hold whole panels (32 floats each). scratch holds scratchBytes bytes, private to the caller: rows are rounded
// to bf16 in chunks that fit. Returns 0, or -1 when even one row does not fit (the caller checks k at pack time).
API BF16512 int lstmn_sgemm_bf16_avx512bf16(int m, int k, const float* a, long ars, long acs,
    const uint16_t* panels, long panelBytes, int p0, int count, float* c, long ldc, int accumulate,
    uint8_t* scratch, long scratchBytes)
{
    if (m <= 0 || count <= 0)
        return 0;
    if (k <= 0)
    {
        if (!accumulate)
            for (int r = 0; r < m; r++)
                memset(c + (long)r * ldc + (long)p0 * 32, 0, (size_t)count * 32 * sizeof(float));
        return 0;
    }
    int k2 = (k + 1) & ~1, pairs = k2 / 2;
    long rowsFit = scratchBytes / (2L * k2);
    if (rowsFit < 1)
        return -1;
    int chunk = rowsFit < 96 ? (int)rowsFit : 96;
    uint16_t* xa = (uint16_t*)scratch;
    long panelElems = panelBytes / 2;
    for (int m0 = 0; m0 < m; m0 += chunk)
    {
        int mc = m - m0 < chunk ? m - m0 : chunk;
        for (int r = 0; r < mc; r++)
            bf16_row(a + (long)(m0 + r) * ars, acs, k, k2, xa + (long)r * k2);
        for (int p = p0; p < p0 + count; p++)
        {
            const uint16_t* bp = panels + (long)p * panelElems;
            float* cp = c + (long)m0 * ldc + (long)p * 32;
            if (mc == 1 && p + 1 < p0 + count)
            {
                bkernel1x2(xa, bp, bp + panelElems, pairs, cp, accumulate);
                p++;
                continue;
            }
            for (int i = 0; i < mc; i += 6)
            {
                int rows = mc - i < 6 ? mc - i : 6;
                const uint16_t* ai = xa + (long)i * k2;
                float* ci = cp + (long)i * ldc;
                switch (rows)
                {
                case 1: bkernel_r1(ai, k2, bp, pairs, ci, ldc, accumulate); break;
                case 2: bkernel_r2(ai, k2, bp, pairs, ci, ldc, accumulate); break;
                case 3: bkernel_r3(ai, k2, bp, pairs, ci, ldc, accumulate); break;
                case 4: bkernel_r4(ai, k2, bp, pairs, ci, ldc, accumulate); break;
                case 5: bkernel_r5(ai, k2, bp, pairs, ci, ldc, accumulate); break;
                default: bkernel_r6(ai, k2, bp, pairs, ci, ldc, accumulate); break;
                }
            }
        }
    }
    return 0;
}

// ---- float32, one row: the batch-1 product that streams R every step --------------------------------------------------
// Not a new instruction: the managed Kernel1x2 (Sgemm) runs the same loop, but .NET 10's JIT keeps each FMA's result in a
// scratch register and copies it to the accumulator (one extra move per FMA, 31 instructions per two k) and does not
// fold the loads; measured at H = 1024 (R = 16 MiB, resident in L3) that loop streams R about 15 % slower than this one
// (the C loop reaches the bandwidth of a plain read of the same bytes). The arithmetic is the managed kernels', in
// their order, so the results are bit for bit those of Sgemm.Run at 512 bits (checked at load and in the tests):
// two panels per broadcast, even k into s/t and odd k into u/v, an odd last k into s/t, then (s + u) and (t + v); a
// lone last panel as Kernel1: k mod 4 into four chains, the tail into the first, ((s + t) + (u + v)); C (+)= sum;
// K in blocks of kBlock (Sgemm.SliverKC), later blocks accumulating. Panels of 32 columns, panelFloats apart.

F32512 static inline void putv(float* c, __m512 v, int acc)
{
    if (acc)
        v = _mm512_add_ps(_mm512_loadu_ps(c), v);
    _mm512_storeu_ps(c, v);
}

F32512 static void fkernel1x2(const float* a, long acs, const float* b, const float* b2, int k, float* c, int acc)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
    int kk = 0;
    for (; kk + 2 <= k; kk += 2)
    {
        __m512 x = _mm512_set1_ps(a[0]);
        s0 = _mm512_fmadd_ps(x, _mm512_load_ps(b), s0);
        s1 = _mm512_fmadd_ps(x, _mm512_load_ps(b + 16), s1);
        t0 = _mm512_fmadd_ps(x, _mm512_load_ps(b2), t0);
        t1 = _mm512_fmadd_ps(x, _mm512_load_ps(b2 + 16), t1);
        x = _mm512_set1_ps(a[acs]);
        u0 = _mm512_fmadd_ps(x, _mm512_load_ps(b + 32), u0);
        u1 = _mm512_fmadd_ps(x, _mm512_load_ps(b + 48), u1);
        v0 = _mm512_fmadd_ps(x, _mm512_load_ps(b2 + 32), v0);
        v1 = _mm512_fmadd_ps(x, _mm512_load_ps(b2 + 48), v1);
        a += 2 * acs; b += 64; b2 += 64;
    }
    if (kk < k)
    {
        __m512 x = _mm512_set1_ps(a[0]);
        s0 = _mm512_fmadd_ps(x, _mm512_load_ps(b), s0);
        s1 = _mm512_fmadd_ps(x, _mm512_load_ps(b + 16), s1);
        t0 = _mm512_fmadd_ps(x, _mm512_load_ps(b2), t0);
        t1 = _mm512_fmadd_ps(x, _mm512_load_ps(b2 + 16), t1);
    }
    putv(c, _mm512_add_ps(s0, u0), acc);
    putv(c + 16, _mm512_add_ps(s1, u1), acc);
    putv(c + 32, _mm512_add_ps(t0, v0), acc);
    putv(c + 48, _mm512_add_ps(t1, v1), acc);
}

F32512 static void fkernel1(const float* a, long acs, const float* b, int k, float* c, int acc)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
    int kk = 0;
    for (; kk + 4 <= k; kk += 4)
    {
        __m512 x = _mm512_set1_ps(a[0]);
        s0 = _mm512_fmadd_ps(_mm512_load_ps(b), x, s0);
        s1 = _mm512_fmadd_ps(_mm512_load_ps(b + 16), x, s1);
        x = _mm512_set1_ps(a[acs]);
        t0 = _mm512_fmadd_ps(_mm512_load_ps(b + 32), x, t0);
        t1 = _mm512_fmadd_ps(_mm512_load_ps(b + 48), x, t1);
        x = _mm512_set1_ps(a[2 * acs]);
        u0 = _mm512_fmadd_ps(_mm512_load_ps(b + 64), x, u0);
        u1 = _mm512_fmadd_ps(_mm512_load_ps(b + 80), x, u1);
        x = _mm512_set1_ps(a[3 * acs]);
        v0 = _mm512_fmadd_ps(_mm512_load_ps(b + 96), x, v0);
        v1 = _mm512_fmadd_ps(_mm512_load_ps(b + 112), x, v1);
        a += 4 * acs; b += 128;
    }
    for (; kk < k; kk++)
    {
        __m512 x = _mm512_set1_ps(a[0]);
        s0 = _mm512_fmadd_ps(_mm512_load_ps(b), x, s0);
        s1 = _mm512_fmadd_ps(_mm512_load_ps(b + 16), x, s1);
        a += acs; b += 32;
    }
    putv(c, _mm512_add_ps(_mm512_add_ps(s0, t0), _mm512_add_ps(u0, v0)), acc);
    putv(c + 16, _mm512_add_ps(_mm512_add_ps(s1, t1), _mm512_add_ps(u1, v1)), acc);
}

// c[p*32 .. p*32 + 32) for panels p in [p0, p0 + count): (+)= sum_k a[k*acs] * B[k, p*32 + j]. panels must be 64-byte
// aligned with panelFloats a multiple of 16 (PackedMatrix's AlignedBuffer). Returns 0, or -1 for a kBlock < 1.
API F32512 int lstmn_sgemv_f32_avx512(int k, const float* a, long acs, const float* panels, long panelFloats,
    int p0, int count, float* c, int accumulate, int kBlock)
{
    if (kBlock < 1)
        return -1;
    if (count <= 0)
        return 0;
    if (k <= 0)
    {
        if (!accumulate)
            memset(c + (long)p0 * 32, 0, (size_t)count * 32 * sizeof(float));
        return 0;
    }
    for (int k0 = 0; k0 < k; k0 += kBlock)
    {
        int kc = k - k0 < kBlock ? k - k0 : kBlock;
        int acc = accumulate || k0 > 0;
        const float* ak = a + (long)k0 * acs;
        for (int p = p0; p < p0 + count; p++)
        {
            const float* bp = panels + (long)p * panelFloats + (long)k0 * 32;
            if (p + 1 < p0 + count)
            {
                fkernel1x2(ak, acs, bp, bp + panelFloats, kc, c + (long)p * 32, acc);
                p++;
            }
            else
                fkernel1(ak, acs, bp, kc, c + (long)p * 32, acc);
        }
    }
    return 0;
}

// ---- float32, two to four rows: a small batch's recurrent product ----------------------------------------------------
// The managed kernels pack A into a sliver and run one panel per call; here each row is read in place and two adjacent
// panels share the rows' broadcasts, so R's panels are loaded once for all the rows, as the batch-1 loop loads them
// once for one. The arithmetic is Sgemm's at 512 bits, in its order, so the results are bit for bit the same: two
// rows as Kernel2 (even k into s, odd k into t, an odd last k into s, then s + t), three or four rows as its Kernel
// (one chain per accumulator, k in order); C (+)= sum; K in blocks of kBlock, later blocks accumulating.

F32512 static inline __attribute__((always_inline)) void fkernel_rows(const int rows, const int two, const float* a, long ars,
    long acs, const float* b, const float* b2, int k, float* c, long ldc, int acc)
{
    __m512 s[4][4], t[4][4];
    for (int r = 0; r < 4; r++)
        for (int v = 0; v < 4; v++)
            s[r][v] = t[r][v] = _mm512_setzero_ps();
    int kk = 0;
    if (rows == 2)
    {
        for (; kk + 2 <= k; kk += 2)
        {
            __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), c0 = b0, c1 = b1;
            if (two) { c0 = _mm512_load_ps(b2); c1 = _mm512_load_ps(b2 + 16); }
            for (int r = 0; r < 2; r++)
            {
                __m512 x = _mm512_set1_ps(a[r * ars]);
                s[r][0] = _mm512_fmadd_ps(b0, x, s[r][0]); s[r][1] = _mm512_fmadd_ps(b1, x, s[r][1]);
                if (two) { s[r][2] = _mm512_fmadd_ps(c0, x, s[r][2]); s[r][3] = _mm512_fmadd_ps(c1, x, s[r][3]); }
            }
            b0 = _mm512_load_ps(b + 32); b1 = _mm512_load_ps(b + 48);
            if (two) { c0 = _mm512_load_ps(b2 + 32); c1 = _mm512_load_ps(b2 + 48); }
            for (int r = 0; r < 2; r++)
            {
                __m512 x = _mm512_set1_ps(a[r * ars + acs]);
                t[r][0] = _mm512_fmadd_ps(b0, x, t[r][0]); t[r][1] = _mm512_fmadd_ps(b1, x, t[r][1]);
                if (two) { t[r][2] = _mm512_fmadd_ps(c0, x, t[r][2]); t[r][3] = _mm512_fmadd_ps(c1, x, t[r][3]); }
            }
            a += 2 * acs; b += 64; b2 += 64;
        }
    }
    for (; kk < k; kk++)
    {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), c0 = b0, c1 = b1;
        if (two) { c0 = _mm512_load_ps(b2); c1 = _mm512_load_ps(b2 + 16); }
        for (int r = 0; r < rows; r++)
        {
            __m512 x = _mm512_set1_ps(a[r * ars]);
            s[r][0] = _mm512_fmadd_ps(b0, x, s[r][0]); s[r][1] = _mm512_fmadd_ps(b1, x, s[r][1]);
            if (two) { s[r][2] = _mm512_fmadd_ps(c0, x, s[r][2]); s[r][3] = _mm512_fmadd_ps(c1, x, s[r][3]); }
        }
        a += acs; b += 32; b2 += 32;
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < (two ? 4 : 2); v++)
            putv(c + r * ldc + v * 16, rows == 2 ? _mm512_add_ps(s[r][v], t[r][v]) : s[r][v], acc);
}

#define FKERNEL_ROWS(R, TWO) F32512 static void fkernel_r##R##_##TWO(const float* a, long ars, long acs, const float* b, \
    const float* b2, int k, float* c, long ldc, int acc) { fkernel_rows(R, TWO, a, ars, acs, b, b2, k, c, ldc, acc); }
FKERNEL_ROWS(2, 0) FKERNEL_ROWS(2, 1) FKERNEL_ROWS(3, 0) FKERNEL_ROWS(3, 1) FKERNEL_ROWS(4, 0) FKERNEL_ROWS(4, 1)

// Rows [0, m) of C (ldc apart), panels [p0, p0 + count): C (+)= A · B with A(r, k) = a[r*ars + k*acs]. m in 2..4; panels
// as lstmn_sgemv_f32_avx512's. Returns 0, or -1 for m outside 2..4 or a kBlock < 1.
API F32512 int lstmn_sgemm_rows_f32_avx512(int m, int k, const float* a, long ars, long acs, const float* panels,
    long panelFloats, int p0, int count, float* c, long ldc, int accumulate, int kBlock)
{
    if (m < 2 || m > 4 || kBlock < 1)
        return -1;
    if (count <= 0)
        return 0;
    if (k <= 0)
    {
        if (!accumulate)
            for (int r = 0; r < m; r++)
                memset(c + r * ldc + (long)p0 * 32, 0, (size_t)count * 32 * sizeof(float));
        return 0;
    }
    for (int k0 = 0; k0 < k; k0 += kBlock)
    {
        int kc = k - k0 < kBlock ? k - k0 : kBlock;
        int acc = accumulate || k0 > 0;
        const float* ak = a + (long)k0 * acs;
        for (int p = p0; p < p0 + count; p++)
        {
            const float* bp = panels + (long)p * panelFloats + (long)k0 * 32;
            float* cp = c + (long)p * 32;
            int two = p + 1 < p0 + count;
            const float* bq = two ? bp + panelFloats : bp;
            switch (m * 2 + two)
            {
            case 4: fkernel_r2_0(ak, ars, acs, bp, bq, kc, cp, ldc, acc); break;
            case 5: fkernel_r2_1(ak, ars, acs, bp, bq, kc, cp, ldc, acc); break;
            case 6: fkernel_r3_0(ak, ars, acs, bp, bq, kc, cp, ldc, acc); break;
            case 7: fkernel_r3_1(ak, ars, acs, bp, bq, kc, cp, ldc, acc); break;
            case 8: fkernel_r4_0(ak, ars, acs, bp, bq, kc, cp, ldc, acc); break;
            default: fkernel_r4_1(ak, ars, acs, bp, bq, kc, cp, ldc, acc); break;
            }
            p += two;
        }
    }
    return 0;
}
