// Q15 FIR filter (valid part, correlation order) with exact 64-bit accumulation.
// Two outputs per pass over the taps, two taps per multiply-accumulate: SMLALD in Thumb-2
// assembly on Cortex-M4 (DSP extension); the same loop in plain C elsewhere (host, Cortex-M3),
// with SMLALD written out in C. tests/c runs both: on the host, and on QEMU's mps2-an386.
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

#else

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
    size_t n = nx - nh + 1;
    if (nh < 4 || n < 2 || nh >= 65536) {
        // Short filters, single outputs, and sums that may exceed 2**46 (so need the general
        // saturation): one output at a time.
        for (size_t i = 0; i < n; ++i) {
            y[i] = q15_out_wide(dot_q15(x + i, h, nh));
        }
        return n;
    }
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
    if (n & 1) {
        // The last output alone: it may not read x[n - 1 + nh], which is past the end of x.
        y[n - 1] = q15_out(dot_q15(x + n - 1, h, nh));
    }
    return n;
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
