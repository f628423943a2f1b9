// The reference for rgb565 (docs/kernels.md), written the simplest way: test_rgb565.c and
// tests/fuzz/fuzz_rgb565.c check the kernel against it.
#ifndef FASTPATH_TESTS_REF_RGB565_H
#define FASTPATH_TESTS_REF_RGB565_H

#include <stddef.h>
#include <stdint.h>

// RGB888 to big-endian RGB565, a pixel at a time.
static inline void ref_rgb565(const uint8_t *src, uint8_t *dst, size_t npix) {
    for (size_t i = 0; i < npix; ++i) {
        unsigned r = src[3 * i], g = src[3 * i + 1], b = src[3 * i + 2];
        unsigned v = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3);
        dst[2 * i] = (uint8_t)(v >> 8);
        dst[2 * i + 1] = (uint8_t)(v & 0xFF);
    }
}

#endif // FASTPATH_TESTS_REF_RGB565_H
