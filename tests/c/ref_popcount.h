// The reference for popcount (docs/kernels.md), written the simplest way: test_popcount.c and
// tests/fuzz/fuzz_popcount.c check the kernel against it.
#ifndef FASTPATH_TESTS_REF_POPCOUNT_H
#define FASTPATH_TESTS_REF_POPCOUNT_H

#include <stddef.h>
#include <stdint.h>

// Set bits, one at a time.
static inline size_t ref_popcount(const uint8_t *buf, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; ++i) {
        for (int k = 0; k < 8; ++k) {
            n += (buf[i] >> k) & 1;
        }
    }
    return n;
}

#endif // FASTPATH_TESTS_REF_POPCOUNT_H
