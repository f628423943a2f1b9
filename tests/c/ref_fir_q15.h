// The reference for fir_q15 (docs/kernels.md), written the simplest way: test_fir_q15.c and
// tests/fuzz/fuzz_fir_q15.c check the kernel against it.
#ifndef FASTPATH_TESTS_REF_FIR_Q15_H
#define FASTPATH_TESTS_REF_FIR_Q15_H

#include <stddef.h>
#include <stdint.h>

// floor(v / 2**15) without relying on >> of negative numbers.
static inline int64_t floor_div_32768(int64_t v) {
    int64_t q = v / 32768;
    if (v % 32768 != 0 && v < 0) {
        q -= 1;
    }
    return q;
}

// One output: sat16(floor((sum_k h[k] * x[k] + 0x4000) / 2**15)), the sum exact in 64 bits.
static inline int16_t ref_fir_one(const int16_t *x, const int16_t *h, size_t nh) {
    int64_t sum = 0;
    for (size_t k = 0; k < nh; ++k) {
        sum += (int64_t)h[k] * x[k];
    }
    int64_t v = floor_div_32768(sum + 0x4000);
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

#endif // FASTPATH_TESTS_REF_FIR_Q15_H
