// Q15 FIR filter (valid part, correlation order) with exact 64-bit accumulation.
// On Cortex-M4 (DSP extension), Thumb-2 assembly: four outputs per pass over the taps
// (fir_quads), then pairs (fir_pairs), two taps per SMLALD. Elsewhere (host, Cortex-M3) the
// pairs loop in plain C, with SMLALD written out in C. tests/c runs both: on the host, and
// on QEMU's mps2-an386.
#include "kernels.h"

#if defined(__ARM_FEATURE_DSP) || defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

#if defined(__ARM_FEATURE_DSP)
// acc + a.lo * b.lo + a.hi * b.hi for signed halfwords into a 64-bit accumulator (exact).
#define SMLALD(a, b, acc) __smlald((int32_t)(a), (int32_t)(b), (acc))
#else
static inline int64_t SMLALD(uint32_t a, uint32_t b, int64_t acc) {
    // Each product fits in int32 (|p| <= 2**30), their sum may not: add them in 64 bits.
    acc += (int32_t)(int16_t)a * (int16_t)b;
    return acc + (int32_t)(int16_t)(a >> 16) * (int16_t)(b >> 16);
}
#endif

#if defined(__GNUC__)
#define FIR_INLINE static inline __attribute__((always_inline))
#else
#define FIR_INLINE static inline
#endif

// Two adjacent int16 as one word, p[0] in the low half (an unaligned LDR on Cortex-M3/M4).
static inline uint32_t load_pair(const int16_t *p) {
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (uint16_t)p[0] | (uint32_t)(uint16_t)p[1] << 16;
    #else
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
    #endif
}

// sat16(v) for int32 v: one SSAT where the target has it.
static inline int16_t sat16(int32_t v) {
    #if defined(__ARM_FEATURE_SAT)
    return (int16_t)__ssat(v, 16);
    #else
    return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
    #endif
}

// sat16(acc >> 15) where |acc| < 2**46 (fewer than 65536 taps), so acc >> 15 fits in int32:
// bits 15..46 of acc (the uint32 to int32 conversion wraps, as on every target we build for).
static inline int16_t q15_out(int64_t acc) {
    return sat16((int32_t)(uint32_t)((uint64_t)acc >> 15));
}

// The general form for any acc: arithmetic shift of the int64, then saturation.
static int16_t q15_out_wide(int64_t acc) {
    int64_t v = acc >> 15;
    return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

// One output: sum of h[k] * x[k] for k < nh plus the rounding constant, two taps at a time.
static int64_t dot_q15(const int16_t *x, const int16_t *h, size_t nh) {
    int64_t acc = 0x4000;
    const int16_t *h_end = h + (nh & ~(size_t)1);
    while (h != h_end) {
        acc = SMLALD(load_pair(h), load_pair(x), acc);
        h += 2;
        x += 2;
    }
    if (nh & 1) {
        acc += (int32_t)*h * *x;
    }
    return acc;
}

#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__) && defined(__GNUC__)
#define FIR_QUADS (1)

// Outputs y[0:n & ~1] in pairs, for 4 <= nh < 65536 with r = nh & 3 a compile-time constant:
// the loop below as Thumb-2 assembly, which saves GCC's register shuffling (about 8 instead
// of 11 instructions of overhead per output, and 12 instead of 13 per 4 taps x 2 outputs).
//   a0 (a0h:a0l) y[i] and a1 (a1h:a1l) y[i + 1]: int64 accumulators, SMLALD adds 2 products
//   hp, xp: h[k] and x[i + k]; t0: two taps; t1: two samples; y: the next output
//   d = x - y in bytes: x and y both advance 4 bytes per pair, so x + 2i is y + d
FIR_INLINE void fir_pairs(const int16_t *x, const int16_t *h, size_t nh, int16_t *y, size_t n,
    const unsigned int r) {
    const int16_t *h_end = h + (nh - r);
    const int16_t *y_end = y + (n & ~(size_t)1);
    uintptr_t d = (uintptr_t)x - (uintptr_t)y;
    uint32_t a0l, a0h, a1l, a1h, t0, t1;
    const int16_t *hp, *xp;
    __asm__ volatile (
        "1:\n"
        "mov     %[a0l], #0x4000\n" // the rounding constant
        "movs    %[a0h], #0\n"
        "mov     %[a1l], #0x4000\n"
        "movs    %[a1h], #0\n"
        "mov     %[hp], %[h]\n"
        "add     %[xp], %[y], %[d]\n"
        "2:\n" // 4 taps, 2 outputs
        "ldr     %[t0], [%[hp]], #4\n" // h[k], h[k + 1]
        "ldr     %[t1], [%[xp], #2]\n" // x[i + k + 1], x[i + k + 2]
        "smlald  %[a1l], %[a1h], %[t0], %[t1]\n"
        "ldr     %[t1], [%[xp]], #4\n" // x[i + k], x[i + k + 1]
        "smlald  %[a0l], %[a0h], %[t0], %[t1]\n"
        "ldr     %[t0], [%[hp]], #4\n" // h[k + 2], h[k + 3]
        "ldr     %[t1], [%[xp], #2]\n"
        "smlald  %[a1l], %[a1h], %[t0], %[t1]\n"
        "ldr     %[t1], [%[xp]], #4\n"
        "smlald  %[a0l], %[a0h], %[t0], %[t1]\n"
        "cmp     %[hp], %[h_end]\n"
        "bne     2b\n"
        ".if (%c[r] & 2)\n" // two more taps
        "ldr     %[t0], [%[hp]], #4\n"
        "ldr     %[t1], [%[xp], #2]\n"
        "smlald  %[a1l], %[a1h], %[t0], %[t1]\n"
        "ldr     %[t1], [%[xp]], #4\n"
        "smlald  %[a0l], %[a0h], %[t0], %[t1]\n"
        ".endif\n"
        ".if (%c[r] & 1)\n" // the last tap: x[i + nh - 1] for y[i], x[i + nh] for y[i + 1]
        "ldrh    %[t0], [%[hp]]\n"
        "ldr     %[t1], [%[xp]]\n"
        "smlalbb %[a0l], %[a0h], %[t0], %[t1]\n"
        "smlalbt %[a1l], %[a1h], %[t0], %[t1]\n"
        ".endif\n"
        // y = sat16(a >> 15): |a| < 2**46, so bits 15..46 of a are the whole shifted value.
        "lsrs    %[a0l], %[a0l], #15\n"
        "orr     %[a0l], %[a0l], %[a0h], lsl #17\n"
        "ssat    %[a0l], #16, %[a0l]\n"
        "strh    %[a0l], [%[y]], #2\n"
        "lsrs    %[a1l], %[a1l], #15\n"
        "orr     %[a1l], %[a1l], %[a1h], lsl #17\n"
        "ssat    %[a1l], #16, %[a1l]\n"
        "strh    %[a1l], [%[y]], #2\n"
        "cmp     %[y], %[y_end]\n"
        "bne     1b\n"
        : [y] "+r" (y), [a0l] "=&r" (a0l), [a0h] "=&r" (a0h), [a1l] "=&r" (a1l),
        [a1h] "=&r" (a1h), [t0] "=&r" (t0), [t1] "=&r" (t1), [hp] "=&r" (hp), [xp] "=&r" (xp)
        : [h] "r" (h), [h_end] "r" (h_end), [y_end] "r" (y_end), [d] "r" (d), [r] "i" (r)
        : "cc", "memory");
}

// Outputs y[0:4 * nq] four at a time, for 4 <= nh < 65536 and nq >= 1; reads x[0:4 * nq + nh],
// and x[4 * nq + nh] too when nh is odd (so the caller keeps that within x). Naked Thumb-2
// assembly: four int64 accumulators take r0-r7, and the pass over the taps needs every other
// register, so the state between outputs lives in a stack frame.
//   Per tap pair k (h[2k], h[2k + 1] in c), with A = x[i + 2k], x[i + 2k + 1] and
//   B = x[i + 2k + 2], x[i + 2k + 3] (each a word, the first element low), and
//   M = x[i + 2k + 2] low, x[i + 2k + 1] high:
//     y[i] += SMLALD(c, A); y[i + 1] += SMLALDX(c, M); y[i + 2] += SMLALD(c, B);
//     C = x[i + 2k + 4], x[i + 2k + 5] (into A's register); M = PKHBT(C, B);
//     y[i + 3] += SMLALDX(c, M); then A, B = B, C
//   7 instructions for 8 multiply-accumulates, each x word loaded once. The pass runs
//   S = (nh - 1) / 2 such steps from a loop of FIR_QUAD_UNROLL steps, entered part-way at
//   step (-S) % FIR_QUAD_UNROLL (Duff's device), then one more step on the taps h[2S] and
//   h[2S + 1] (0 when nh is odd) that loads only x[i + 2S + 4].
//   A and B swap registers every step (r11, r12 or r12, r11): a step that starts with A in
//   r12 is entered through the second of the two preloads.
//   Registers: r0:r1, r2:r3, r4:r5, r6:r7 the accumulators of y[i] .. y[i + 3] (lo:hi),
//   r8 h, r9 x (the next word to load), r10 c, r11 and r12 A and B, lr M.
//   Frame: [sp, #0..31] 0x4000, 0 four times (the accumulators' start: the rounding
//   constant); #32 the loop's entry; #36 the preload to take; #40 h + 2S (end of the loop);
//   #44 x for the next outputs; #48 y; #52 y + 4 * nq; #56 h; #60 h[2S], h[2S + 1] or 0.
#define FIR_QUAD_UNROLL 16
#define FIR_QUAD_STEP(a, b) \
    "ldr.w   r10, [r8], #4\n" \
    "smlald  r0, r1, r10, " a "\n" \
    "smlaldx r2, r3, r10, lr\n" \
    "smlald  r4, r5, r10, " b "\n" \
    "ldr.w   " a ", [r9], #4\n" \
    "pkhbt   lr, " a ", " b "\n" \
    "smlaldx r6, r7, r10, lr\n"
#define FIR_QUAD_STEP2 FIR_QUAD_STEP("r11", "r12") FIR_QUAD_STEP("r12", "r11")
#define FIR_QUAD_STEP16 \
    FIR_QUAD_STEP2 FIR_QUAD_STEP2 FIR_QUAD_STEP2 FIR_QUAD_STEP2 \
    FIR_QUAD_STEP2 FIR_QUAD_STEP2 FIR_QUAD_STEP2 FIR_QUAD_STEP2
// One output: y = sat16(bits 15..46 of lo:hi), |lo:hi| < 2**46.
#define FIR_QUAD_OUT(lo, hi) \
    "lsrs    " lo ", " lo ", #15\n" \
    "orr     " lo ", " lo ", " hi ", lsl #17\n" \
    "ssat    " lo ", #16, " lo "\n"

// (The parameters arrive in r0-r3 and on the stack, as AAPCS passes them: the body reads them
// there, so the compiler sees them unused.)
#define FIR_ASM_ARG __attribute__((unused))
__attribute__((naked, noinline))
static void fir_quads(const int16_t *x FIR_ASM_ARG, const int16_t *h FIR_ASM_ARG,
    size_t nh FIR_ASM_ARG, int16_t *y FIR_ASM_ARG, size_t nq FIR_ASM_ARG) {
    __asm__ volatile (
        "push    {r4-r11, lr}\n"
        "sub     sp, sp, #64\n"
        "ldr     r12, [sp, #100]\n" // nq, the fifth argument
        "str     r0, [sp, #44]\n"
        "str     r3, [sp, #48]\n"
        "add     r12, r3, r12, lsl #3\n"
        "str     r12, [sp, #52]\n"
        "str     r1, [sp, #56]\n"
        "sub     r4, r2, #1\n"
        "lsrs    r4, r4, #1\n" // S
        "add     r5, r1, r4, lsl #2\n"
        "str     r5, [sp, #40]\n"
        "ldrh    r6, [r5]\n" // the last step's taps: h[2S], and h[2S + 1] if nh is even
        "movs    r7, #0\n"
        "tst     r2, #1\n"
        "bne     1f\n"
        "ldrh    r7, [r5, #2]\n"
        "1:\n"
        "orr     r6, r6, r7, lsl #16\n"
        "str     r6, [sp, #60]\n"
        "rsbs    r6, r4, #0\n" // the loop's entry: step (-S) % 16, 28 bytes each
        "and     r6, r6, #15\n"
        "adr     r7, 5f\n"
        "lsls    r8, r6, #5\n"
        "sub     r8, r8, r6, lsl #2\n"
        "add     r7, r7, r8\n"
        "orr     r7, r7, #1\n"
        "str     r7, [sp, #32]\n"
        "adr     r7, 3f\n" // the preload: A in r11 for an even entry step, in r12 for odd
        "tst     r6, #1\n"
        "beq     1f\n"
        "adr     r7, 4f\n"
        "1:\n"
        "orr     r7, r7, #1\n"
        "str     r7, [sp, #36]\n"
        "mov     r4, #0x4000\n"
        "movs    r5, #0\n"
        "strd    r4, r5, [sp, #0]\n"
        "strd    r4, r5, [sp, #8]\n"
        "strd    r4, r5, [sp, #16]\n"
        "strd    r4, r5, [sp, #24]\n"
        "2:\n" // four outputs
        "ldm     sp, {r0-r7}\n"
        "ldr     r8, [sp, #56]\n"
        "ldr     r9, [sp, #44]\n"
        "ldr     pc, [sp, #36]\n"
        "3:\n" // preload, A in r11
        "ldr     r11, [r9], #4\n"
        "ldr     r12, [r9], #4\n"
        "str     r9, [sp, #44]\n"
        "pkhbt   lr, r12, r11\n"
        "ldr     pc, [sp, #32]\n"
        "4:\n" // preload, A in r12
        "ldr     r12, [r9], #4\n"
        "ldr     r11, [r9], #4\n"
        "str     r9, [sp, #44]\n"
        "pkhbt   lr, r11, r12\n"
        "ldr     pc, [sp, #32]\n"
        "5:\n"
        FIR_QUAD_STEP16
        "ldr     r10, [sp, #40]\n"
        "cmp     r8, r10\n"
        "bne     5b\n"
        "ldr     r10, [sp, #60]\n" // the last step: A in r11, B in r12
        "smlald  r0, r1, r10, r11\n"
        "smlaldx r2, r3, r10, lr\n"
        "smlald  r4, r5, r10, r12\n"
        "ldrh    r11, [r9]\n"
        "pkhbt   lr, r11, r12\n"
        "smlaldx r6, r7, r10, lr\n"
        FIR_QUAD_OUT("r0", "r1")
        FIR_QUAD_OUT("r2", "r3")
        FIR_QUAD_OUT("r4", "r5")
        FIR_QUAD_OUT("r6", "r7")
        "ldr     r8, [sp, #48]\n"
        "strh    r0, [r8], #2\n"
        "strh    r2, [r8], #2\n"
        "strh    r4, [r8], #2\n"
        "strh    r6, [r8], #2\n"
        "str     r8, [sp, #48]\n"
        "ldr     r9, [sp, #52]\n"
        "cmp     r8, r9\n"
        "bne     2b\n"
        "add     sp, sp, #64\n"
        "pop     {r4-r11, pc}\n"
        );
}

#else
#define FIR_QUADS (0)

// Outputs y[0:n & ~1] in pairs, for 4 <= nh < 65536 with r = nh & 3 a compile-time constant.
// acc0 is y[i], acc1 is y[i + 1]; taps go four at a time, then the r left over.
// The pair reads x[i:i + nh + 1]: within x because i + 1 < n.
FIR_INLINE void fir_pairs(const int16_t *x, const int16_t *h, size_t nh, int16_t *y, size_t n,
    const unsigned int r) {
    const int16_t *h_end = h + (nh - r);
    uint32_t h_tail = 0; // taps nh - r .. nh - 1 (r = 2: both halves; r = 1, 3: the last tap)
    if (r == 2) {
        h_tail = load_pair(h_end);
    } else if (r == 1 || r == 3) {
        h_tail = (uint16_t)h_end[r - 1];
    }
    uint32_t h_pair3 = (r == 3) ? load_pair(h_end) : 0;
    int16_t *y_end = y + (n & ~(size_t)1);
    do {
        const int16_t *hp = h;
        const int16_t *xp = x;
        int64_t acc0 = 0x4000;
        int64_t acc1 = 0x4000;
        do {
            uint32_t h01 = load_pair(hp);
            uint32_t h23 = load_pair(hp + 2);
            acc0 = SMLALD(h01, load_pair(xp), acc0);
            acc1 = SMLALD(h01, load_pair(xp + 1), acc1);
            acc0 = SMLALD(h23, load_pair(xp + 2), acc0);
            acc1 = SMLALD(h23, load_pair(xp + 3), acc1);
            hp += 4;
            xp += 4;
        } while (hp != h_end);
        if (r == 2) {
            acc0 = SMLALD(h_tail, load_pair(xp), acc0);
            acc1 = SMLALD(h_tail, load_pair(xp + 1), acc1);
        }
        if (r == 3) {
            acc0 = SMLALD(h_pair3, load_pair(xp), acc0);
            acc1 = SMLALD(h_pair3, load_pair(xp + 1), acc1);
            xp += 2;
        }
        if (r == 1 || r == 3) {
            // x[i + nh - 1] and x[i + nh] in one word: the last tap times its low, then high half.
            uint32_t xx = load_pair(xp);
            acc0 = SMLALD(h_tail, xx, acc0);
            acc1 = SMLALD(h_tail << 16, xx, acc1);
        }
        y[0] = q15_out(acc0);
        y[1] = q15_out(acc1);
        y += 2;
        x += 2;
    } while (y != y_end);
}

#endif

// fir_q15(x, h, y): y[i] = sat16((sum_k h[k] * x[i + k] + 0x4000) >> 15), 0 <= i < nx - nh + 1;
// needs 1 <= nh <= nx and room for nx - nh + 1 outputs in y (y may be x: in place); returns
// nx - nh + 1. The sums are exact (int64 accumulators, rounding constant included) and
// saturate only at the end, on the int64 shifted right by 15.
size_t fastpath_fir_q15_raw(const int16_t *x, size_t nx, const int16_t *h, size_t nh, int16_t *y) {
    const size_t count = nx - nh + 1;
    size_t n = count;
    if (nh < 4 || n < 2 || nh >= 65536) {
        // Short filters, single outputs, and sums that may exceed 2**46 (so need the general
        // saturation): one output at a time.
        for (size_t i = 0; i < n; ++i) {
            y[i] = q15_out_wide(dot_q15(x + i, h, nh));
        }
        return count;
    }
    #if FIR_QUADS
    // Four outputs at a time. With nh odd the last step of each group reads one element past
    // what its outputs need: the group that ends at y[n - 1] is left to the pairs below.
    size_t nq = n / 4;
    if ((nh & 1) != 0 && nq != 0 && nq * 4 == n) {
        nq -= 1;
    }
    if (nq != 0) {
        fir_quads(x, h, nh, y, nq);
        x += 4 * nq;
        y += 4 * nq;
        n -= 4 * nq;
    }
    #endif
    if (n >= 2) {
        switch (nh & 3) {
            case 0:
                fir_pairs(x, h, nh, y, n, 0);
                break;
            case 1:
                fir_pairs(x, h, nh, y, n, 1);
                break;
            case 2:
                fir_pairs(x, h, nh, y, n, 2);
                break;
            default:
                fir_pairs(x, h, nh, y, n, 3);
                break;
        }
    }
    if (n & 1) {
        // The last output alone: it may not read x[n - 1 + nh], which is past the end of x.
        y[n - 1] = q15_out(dot_q15(x + n - 1, h, nh));
    }
    return count;
}

#if FASTPATH_BINDING
#include "binding.h"

// fir_q15(x, h, y) -> int: y[i] = sat16((sum_k h[k] * x[i + k] + 0x4000) >> 15) for
// i < n = len(x) - len(h) + 1; returns n. Exact int64 sums, saturated once at the end.
static mp_obj_t fastpath_fir_q15(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t x, h, y;
    size_t nx = fastpath_arg_q15(args[0], &x, MP_BUFFER_READ,
        MP_ERROR_TEXT("x must be array('h')"));
    size_t nh = fastpath_arg_q15(args[1], &h, MP_BUFFER_READ,
        MP_ERROR_TEXT("h must be array('h')"));
    size_t ny = fastpath_arg_q15(args[2], &y, MP_BUFFER_WRITE,
        MP_ERROR_TEXT("y must be array('h')"));
    if (nh == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("h must not be empty"));
    }
    if (nx < nh) {
        mp_raise_ValueError(MP_ERROR_TEXT("x must be at least as long as h"));
    }
    if (ny < nx - nh + 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("y is too short"));
    }
    size_t n = fastpath_fir_q15_raw(x.buf, nx, h.buf, nh, y.buf);
    return MP_OBJ_NEW_SMALL_INT(n);
}
FASTPATH_FUNCTION(fir_q15, 3, 3, fastpath_fir_q15);

#endif // FASTPATH_BINDING
